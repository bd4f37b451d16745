import { describe, expect, it } from 'vitest';
import { interactionSchema } from './interaction.dto';
import { validateRecord } from './record-validation';

const NOW = new Date('2025-06-01T12:00:00Z');
const schema = interactionSchema({ maxFutureSkewS: 300, now: () => NOW });
const base = { user_id: 'u-1', item_id: 'sku-9', timestamp: '2025-06-01T11:00:00Z' };

describe('interaction validation', () => {
  it('defaults the value to 1 for non-rating types', () => {
    for (const type of ['view', 'click', 'cart', 'purchase']) {
      const v = validateRecord(schema, { ...base, type });
      expect(v.ok && v.value.value).toBe(1);
    }
    const weighted = validateRecord(schema, { ...base, type: 'purchase', value: 3 });
    expect(weighted.ok && weighted.value.value).toBe(3);
  });

  it('requires a rating between 0.5 and 5 for type rating', () => {
    expect(validateRecord(schema, { ...base, type: 'rating' })).toEqual({
      ok: false,
      errors: [{ field: 'value', reason: 'is required for type rating' }],
    });
    for (const value of [0, 0.4, 5.5])
      expect(validateRecord(schema, { ...base, type: 'rating', value })).toEqual({
        ok: false,
        errors: [{ field: 'value', reason: 'a rating must be between 0.5 and 5' }],
      });
    const ok = validateRecord(schema, { ...base, type: 'rating', value: 4.5 });
    expect(ok.ok && ok.value.value).toBe(4.5);
  });

  it('names bad types, values and unknown fields', () => {
    const v = validateRecord(schema, { ...base, type: 'like', value: '3', email: 'a@b.c' });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors).toEqual(
      expect.arrayContaining([
        { field: 'type', reason: 'must be one of view, click, cart, purchase, rating' },
        { field: 'value', reason: 'expected a number' },
        { field: 'email', reason: 'unknown field' },
      ]),
    );
    expect(validateRecord(schema, { ...base, type: 'view', value: -1 })).toEqual({
      ok: false,
      errors: [{ field: 'value', reason: 'must not be negative' }],
    });
  });

  it('bounds the user id and the timestamp', () => {
    const long = validateRecord(schema, { ...base, type: 'view', user_id: 'u'.repeat(201) });
    expect(!long.ok && long.errors[0]?.field).toBe('user_id');
    const future = validateRecord(schema, { ...base, type: 'view', timestamp: '2025-06-01T13:00:00Z' });
    expect(!future.ok && future.errors[0]?.reason).toMatch(/future/);
  });
});
