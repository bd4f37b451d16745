import { describe, expect, it } from 'vitest';
import { enrichedEventId } from './event-ids';

describe('enrichedEventId', () => {
  it('is a v5 UUID, the same for the same raw event id and different for another', () => {
    const id = enrichedEventId('0b9c5f0e-8d7e-4a3c-9f1d-2e6b7a8c9d0e');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(enrichedEventId('0b9c5f0e-8d7e-4a3c-9f1d-2e6b7a8c9d0e')).toBe(id);
    expect(enrichedEventId('news.raw.v1/3/42')).not.toBe(id);
    // The id every enriched record got before the derivation moved to @mercato/kafka.
    expect(id).toBe('e04ff59c-ec9b-5df7-af70-19a7f192543a');
  });
});
