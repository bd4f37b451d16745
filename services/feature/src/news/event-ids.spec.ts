import { describe, expect, it } from 'vitest';
import { enrichedEventId, uuidV5 } from './event-ids';

describe('uuidV5', () => {
  it('matches the RFC 4122 version 5 reference value', () => {
    // The DNS namespace and "www.example.com", as produced by Python's uuid.uuid5.
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });
});

describe('enrichedEventId', () => {
  it('is a v5 UUID, the same for the same raw event id and different for another', () => {
    const id = enrichedEventId('0b9c5f0e-8d7e-4a3c-9f1d-2e6b7a8c9d0e');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(enrichedEventId('0b9c5f0e-8d7e-4a3c-9f1d-2e6b7a8c9d0e')).toBe(id);
    expect(enrichedEventId('news.raw.v1/3/42')).not.toBe(id);
  });
});
