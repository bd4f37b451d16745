import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TICKER_PATTERN, normalizeTicker, normalizeTickers } from './tickers';

describe('ticker contract', () => {
  it('accepts plain, seven-letter, share-class and exchange-qualified symbols as they are', () => {
    for (const ticker of [
      'TSLA',
      'F',
      'GOOGL',
      'ABCDEFG',
      'BRK.B',
      'BRK-B',
      'VOD.L',
      '7203.T',
      'NOVO-B',
      'NOVO-B.CO',
      '005930.KS',
      'BTC-USD',
      'X-1',
    ]) {
      expect(TICKER_PATTERN.test(ticker), ticker).toBe(true);
      expect(normalizeTicker(ticker)).toBe(ticker);
    }
  });

  it('reads the usual spellings of publishers', () => {
    expect(normalizeTicker(' tsla ')).toBe('TSLA');
    expect(normalizeTicker('$msft')).toBe('MSFT');
    expect(normalizeTicker('NASDAQ:TSLA')).toBe('TSLA');
    expect(normalizeTicker('NYSE: TGT')).toBe('TGT');
    expect(normalizeTicker('brk/b')).toBe('BRK.B');
    expect(normalizeTicker('novo-b.co')).toBe('NOVO-B.CO');
    expect(normalizeTicker('ＴＳＬＡ')).toBe('TSLA');
  });

  it('refuses what is no ticker', () => {
    for (const raw of ['', ' ', 'two words', 'A..B', '.A', 'A-', 'BRK_B', 'É', 'A'.repeat(33), 'TSLA!']) {
      expect(normalizeTicker(raw), raw).toBeUndefined();
    }
    expect(normalizeTicker('A'.repeat(32))).toBe('A'.repeat(32));
  });

  it('normalizes a list in order of first mention and names what it refused', () => {
    expect(normalizeTickers(['tsla', 'BRK.B', 'TSLA', 'not a ticker', '', 'VOD.L'])).toEqual({
      tickers: ['TSLA', 'BRK.B', 'VOD.L'],
      rejected: ['not a ticker', ''],
    });
  });

  it('gives canonical tickers only, and is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'aB7.-/$: $ '.split('')), maxLength: 24 }), (raw) => {
        const ticker = normalizeTicker(raw);
        if (ticker === undefined) return;
        expect(TICKER_PATTERN.test(ticker)).toBe(true);
        expect(normalizeTicker(ticker)).toBe(ticker);
      }),
    );
  });
});
