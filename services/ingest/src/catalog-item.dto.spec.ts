import { describe, expect, it } from 'vitest';
import { catalogItemSchema } from './catalog-item.dto';
import { validateRecord } from './record-validation';

const schema = catalogItemSchema({ maxFutureSkewS: 300, now: () => new Date('2025-06-01T12:00:00Z') });

describe('catalog item validation', () => {
  it('fills defaults for optional fields', () => {
    const v = validateRecord(schema, { item_id: 'sku-1', title: 'Kettle', price: 0 });
    expect(v.ok && { ...v.value }).toEqual({
      item_id: 'sku-1',
      title: 'Kettle',
      description: '',
      categories: [],
      price: 0,
      available: true,
    });
  });

  it('names every problem', () => {
    const v = validateRecord(schema, {
      item_id: '',
      title: 't'.repeat(501),
      description: 'd'.repeat(5001),
      categories: Array.from({ length: 21 }, (_, i) => `c${i}`),
      price: -1,
      available: 'yes',
      availability: true,
    });
    expect(!v.ok && v.errors.map((e) => e.field).sort()).toEqual(
      ['availability', 'available', 'categories', 'description', 'item_id', 'price', 'title'].sort(),
    );
  });

  it('requires a price and rejects an empty category', () => {
    expect(validateRecord(schema, { item_id: 'a', title: 'b', categories: [''] })).toEqual({
      ok: false,
      errors: [
        { field: 'categories[0]', reason: 'must not be empty' },
        { field: 'price', reason: 'is required' },
      ],
    });
  });
});
