import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { articleText, contentHash, normalizeText, withoutNul } from './text-normalization';

describe('normalizeText', () => {
  it('applies NFKC: full-width letters, ligatures and compatibility spaces fold', () => {
    expect(normalizeText('Ｔｅｓｌａ\u00a0ﬁles　report')).toBe('Tesla files report');
    expect(normalizeText('Ⅻ ½')).toBe('XII 1⁄2');
  });

  it('collapses whitespace and control characters and trims', () => {
    expect(normalizeText('  Apple\t\tshares\r\n\n fall \u2028 again\u0000 ')).toBe('Apple shares fall again');
  });

  it('drops zero-width characters instead of leaving them inside words', () => {
    expect(normalizeText('Nv\u200Bidia\uFEFF beats')).toBe('Nvidia beats');
  });

  it('keeps case and punctuation', () => {
    expect(normalizeText('$BRK.B up 2%, CEO says: "fine".')).toBe('$BRK.B up 2%, CEO says: "fine".');
  });
});

describe('articleText', () => {
  it('joins the normalized headline and body with one newline', () => {
    expect(articleText(' Tesla  recalls cars ', 'The recall\n\ncovers 2m  vehicles.')).toBe(
      'Tesla recalls cars\nThe recall covers 2m vehicles.',
    );
  });

  it('is the headline alone when the body is empty or blank', () => {
    expect(articleText('Headline only', '')).toBe('Headline only');
    expect(articleText('Headline only', ' \n\t ')).toBe('Headline only');
  });
});

describe('withoutNul', () => {
  it('removes NUL characters only', () => {
    expect(withoutNul('a\u0000b\tc')).toBe('ab\tc');
  });
});

describe('contentHash', () => {
  it('is the SHA-256 of the lower-cased, NFKC, whitespace-collapsed "headline body"', () => {
    const expected = createHash('sha256').update('tesla recalls cars the recall is big.').digest('hex');
    expect(contentHash('Ｔｅｓｌａ  Recalls cars', 'The recall\n is BIG. ')).toBe(expected);
    expect(contentHash('Tesla recalls cars', 'the recall is big.')).toBe(expected);
  });
});
