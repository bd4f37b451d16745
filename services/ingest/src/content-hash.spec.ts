import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { contentHash, normalizeText } from './content-hash';

describe('content hash', () => {
  it('normalizes with NFKC, lower case and collapsed whitespace', () => {
    expect(normalizeText('  ＡＣＭＥ\tBeats\n\n Estimates ﬁnally  ')).toBe('acme beats estimates finally');
  });

  it('is the SHA-256 hex of the normalized headline and body', () => {
    const expected = createHash('sha256').update('acme beats estimates shares rose 5%.').digest('hex');
    expect(contentHash('ACME beats estimates', 'Shares  rose 5%.')).toBe(expected);
    expect(contentHash('ACME beats estimates')).toBe(
      createHash('sha256').update('acme beats estimates').digest('hex'),
    );
  });

  it('is the same for re-cased and re-spaced copies, different for other text', () => {
    const a = contentHash('ACME beats estimates', 'Shares rose.');
    expect(contentHash('acme   BEATS estimates ', ' shares rose.')).toBe(a);
    expect(contentHash('ACME misses estimates', 'Shares rose.')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});
