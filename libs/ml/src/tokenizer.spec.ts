import { describe, expect, it } from 'vitest';
import { Tokenizer, tokenize } from './tokenizer';

describe('tokenize', () => {
  it('keeps cashtags, folds numbers, percentages and URLs, and splits words', () => {
    expect(tokenize('$TSLA plunges 12% to $170.50 after Q3 miss! https://x.co/a')).toEqual([
      '$tsla',
      'plunges',
      '<pct>',
      'to',
      '<num>',
      'after',
      'q',
      '<num>',
      'miss',
      '!',
      '<url>',
    ]);
    expect(tokenize("Apple's shares")).toEqual(["apple's", 'shares']);
  });
});

describe('Tokenizer', () => {
  const texts = ['stocks rise on strong earnings', 'stocks fall on weak earnings', 'stocks rise again'];

  it('builds a frequency-ordered vocabulary with reserved ids and encodes with padding', () => {
    const tok = Tokenizer.fit(texts, { minCount: 2, maxLength: 6 });
    expect(tok.vocab.slice(0, 3)).toEqual(['<pad>', '<unk>', '<mask>']);
    expect(tok.vocab.slice(3)).toEqual(['stocks', 'earnings', 'on', 'rise']);
    expect(Array.from(tok.encode('stocks rise on unknown words'))).toEqual([3, 6, 5, 1, 1, 0]);
    expect(tok.encodeBatch(['a', 'b'])).toHaveLength(12);
  });

  it('round-trips through JSON with the same version and refuses a tampered vocabulary', () => {
    const tok = Tokenizer.fit(texts, { minCount: 1 });
    const json = tok.toJSON();
    const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(back.version).toBe(tok.version);
    expect(Array.from(back.encode('weak earnings'))).toEqual(Array.from(tok.encode('weak earnings')));
    expect(() => Tokenizer.fromJSON({ ...json, vocab: [...json.vocab, 'extra'] })).toThrow(
      /version mismatch/,
    );
  });

  it('counts the words outside its vocabulary, untruncated', () => {
    const tok = Tokenizer.fit(texts, { minCount: 2, maxLength: 2 });
    expect(tok.unknownStats([])).toEqual({ pieces: 0, unknown: 0, rate: 0 });
    // "unknown" and "words" are not in the vocabulary; maxLength does not cut the count short.
    expect(tok.unknownStats(['stocks rise on unknown words', 'earnings'])).toEqual({
      pieces: 6,
      unknown: 2,
      rate: 2 / 6,
    });
  });

  it('versions differ when the vocabulary differs', () => {
    expect(Tokenizer.fit(texts, { minCount: 1 }).version).not.toBe(
      Tokenizer.fit(texts, { minCount: 2 }).version,
    );
  });
});
