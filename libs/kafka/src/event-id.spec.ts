import { describe, expect, it } from 'vitest';
import { uuidV5, uuidV8 } from './event-id';

describe('event ids', () => {
  it('uuidV5 matches the RFC reference value and refuses a namespace that is not a UUID', () => {
    // The DNS namespace and "www.example.com", as produced by Python's uuid.uuid5.
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(/not a UUID/);
  });

  it('uuidV8 is a version-8 UUID with unambiguous part boundaries', () => {
    expect(uuidV8('ns', ['a'])).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(uuidV8('ns', ['ab', 'c'])).not.toBe(uuidV8('ns', ['a', 'bc']));
    expect(uuidV8('x', ['1'])).not.toBe(uuidV8('y', ['1']));
  });

  it('keeps the ids every service produced before the derivations were unified', () => {
    // Values computed with each service's own function before they were replaced by these two.
    expect(uuidV5('6b0f4c52-2f0e-4d4e-9a51-93c6a1e7d5b8', '0b9c5f0e-8d7e-4a3c-9f1d-2e6b7a8c9d0e')).toBe(
      'e04ff59c-ec9b-5df7-af70-19a7f192543a',
    );
    expect(
      uuidV5(
        '6f3b1a52-4c2e-4d8e-9a61-2b7f0c5d9e14',
        ['default', 'TSLA', '5m', '2026-03-02T10:00:00.000Z', 'negative', 'high'].join('\u0000'),
      ),
    ).toBe('1db4e308-d9d6-5474-8b59-7523c6053816');
    expect(
      uuidV5('6f878cb8-5154-4a18-9e84-266f4761d565', '4a7d1ed4-1b3c-4c8e-9f00-000000000001\u0000AAPL'),
    ).toBe('dbcd6c53-ec17-57c4-b4b7-01537db54652');
    expect(uuidV8('news.raw.v1', ['default', 'reuters', '1'])).toBe('31353673-c900-8f12-b930-c8a1f183e6e4');
    expect(uuidV8('interactions.raw.v1', ['default', 'p', 'i', 'view', '1.2'])).toBe(
      'edcf91ba-114d-8c18-99e0-ba7a43a55efd',
    );
  });
});
