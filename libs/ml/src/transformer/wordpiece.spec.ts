import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyTokenizerJson } from './tiny-encoder';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureEncoder } from './encoder-package';
import { WordPieceTokenizer, wordScores } from './wordpiece';
import { REFERENCE_CLASSES } from './wordpiece-unicode';

// Written by scripts/models/reference-fixtures.py from the reference Python implementation.
interface TokenRow {
  text: string;
  tokens?: string[];
  ids: number[];
  wordIds: number[];
  words: [number, number][];
  attentionMask?: number[];
}
const fixture = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'minilm-reference.json'), 'utf8')) as {
  model: { tokenizerSha256: string };
  maxLength: number;
  sequenceLength: number;
  sentences: TokenRow[];
  randomTexts: TokenRow[];
};
const unicode = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'bert-unicode-reference.json'), 'utf8'),
) as {
  classes: Record<'dropped' | 'spaces' | 'punctuation' | 'whitespace' | 'nonspacingMarks', string>;
  decompositions: Record<string, string>;
  lowercase: Record<string, string>;
};

/** A small tokenizer.json in the all-MiniLM-L6-v2 layout; `edit` changes it for the refusal tests. */
function miniJson(edit: (json: any) => void = () => undefined): any {
  const json: any = tinyTokenizerJson(['stock', '##s', 'rise', 'r', '##ise', '!', 'un']);
  edit(json);
  return json;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function parseRanges(text: string): number[] {
  return text
    .split(' ')
    .filter(Boolean)
    .flatMap((r) => {
      const [a, b] = r.split('-').map((h) => parseInt(h, 16));
      return [a, b ?? a];
    });
}

describe('WordPieceTokenizer on all-MiniLM-L6-v2, against the reference tokenizers library', () => {
  let tok: WordPieceTokenizer;

  beforeAll(async () => {
    const encoder = await ensureEncoder();
    expect(sha256(readFileSync(encoder.tokenizerPath))).toBe(fixture.model.tokenizerSha256);
    tok = WordPieceTokenizer.fromFile(encoder.tokenizerPath, { expectedVocabSize: 30522 });
  }, 600_000);

  it('reads the configuration of the file', () => {
    expect(tok.vocabSize).toBe(30522);
    expect(tok.maxLength).toBe(128);
    expect([tok.unkId, tok.padId, tok.prefixIds, tok.suffixIds]).toEqual([100, 0, [101], [102]]);
    expect(tok.version).toMatch(/^wp-[0-9a-f]{12}$/);
  });

  it('gives the reference pieces, ids, word ids and word spans for every fixture sentence', () => {
    expect(fixture.sentences.length).toBeGreaterThanOrEqual(40);
    for (const row of fixture.sentences) {
      const e = tok.encode(row.text, { maxLength: fixture.maxLength });
      const got = {
        tokens: Array.from(e.ids, (id) => tok.token(id)),
        ids: Array.from(e.ids),
        wordIds: Array.from(e.wordIds),
        words: e.words.map((w) => [w.start, w.end]),
      };
      expect(got, JSON.stringify(row.text)).toEqual({
        tokens: row.tokens,
        ids: row.ids,
        wordIds: row.wordIds,
        words: row.words,
      });
      e.words.forEach((w) => expect(w.text).toBe(row.text.slice(w.start, w.end)));
    }
  });

  it('gives the reference ids, word ids and spans for 300 seeded random Unicode texts', () => {
    for (const row of fixture.randomTexts) {
      const e = tok.encode(row.text, { maxLength: 100_000 });
      expect(
        {
          ids: Array.from(e.ids),
          wordIds: Array.from(e.wordIds),
          words: e.words.map((w) => [w.start, w.end]),
        },
        JSON.stringify(row.text),
      ).toEqual({ ids: row.ids, wordIds: row.wordIds, words: row.words });
    }
  });

  it('pads a batch to its longest row with the reference attention masks', () => {
    const texts = fixture.sentences.map((r) => r.text);
    const batch = tok.encodeBatch(texts, { maxLength: fixture.maxLength });
    expect([batch.batchSize, batch.sequenceLength]).toEqual([texts.length, fixture.sequenceLength]);
    fixture.sentences.forEach((row, r) => {
      const at = r * batch.sequenceLength;
      const ids = Array.from(batch.ids.subarray(at, at + batch.sequenceLength));
      expect(ids).toEqual([...row.ids, ...new Array<number>(batch.sequenceLength - row.ids.length).fill(0)]);
      expect(Array.from(batch.attentionMask.subarray(at, at + batch.sequenceLength))).toEqual(
        row.attentionMask,
      );
      expect(batch.lengths[r]).toBe(row.ids.length);
    });
    expect(batch.truncated).toBe(fixture.sentences.filter((r) => r.ids.length === fixture.maxLength).length);
  });

  it('pads only to the longest row by default, and to maxLength on request', () => {
    const short = tok.encodeBatch(['Shares rise', 'Operating profit rose to EUR 13.1 mn']);
    expect(short.sequenceLength).toBe(Math.max(...short.lengths));
    expect(Array.from(short.attentionMask.subarray(0, short.sequenceLength))).toEqual([
      1,
      1,
      1,
      1,
      ...new Array<number>(short.sequenceLength - 4).fill(0),
    ]);
    const fixed = tok.encodeBatch(['Shares rise'], { padding: 'max-length', maxLength: 16 });
    expect(fixed.sequenceLength).toBe(16);
    expect(Array.from(fixed.ids)).toEqual([101, 6661, 4125, 102, ...new Array<number>(12).fill(0)]);
    expect(tok.encodeBatch([]).ids).toHaveLength(0);
  });

  it('truncates from the end, keeping [CLS] and [SEP] and the words that kept a piece', () => {
    const e = tok.encode('Operating profit rose sharply', { maxLength: 5 });
    expect(Array.from(e.ids, (id) => tok.token(id))).toEqual([
      '[CLS]',
      'operating',
      'profit',
      'rose',
      '[SEP]',
    ]);
    expect(e.truncated).toBe(true);
    expect(e.words.map((w) => w.text)).toEqual(['Operating', 'profit', 'rose']);
    const exact = tok.encode('Operating profit rose', { maxLength: 5 });
    expect(exact.truncated).toBe(false);
    expect(() => tok.encode('x', { maxLength: 2 })).toThrow(/maxLength must be an integer above 2/);
  });

  it('maps pieces back to the words as written, and sums piece scores per word', () => {
    const e = tok.encode('Müller café: Tesla’s “unbelievable” quarter');
    const words = ['Müller', 'café', ':', 'Tesla', '’', 's', '“', 'unbelievable', '”', 'quarter'];
    expect(e.words.map((w) => w.text)).toEqual(words);
    // one piece per word here: the word lower-cased, without its accents
    const plain = words.map((w) =>
      w
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '')
        .toLowerCase(),
    );
    expect(Array.from(e.ids, (id) => tok.token(id))).toEqual(['[CLS]', ...plain, '[SEP]']);
    const split = tok.encode('Nokia outsourcing');
    expect(Array.from(split.ids, (id) => tok.token(id))).toEqual([
      '[CLS]',
      'nokia',
      'outs',
      '##our',
      '##cing',
      '[SEP]',
    ]);
    expect(Array.from(split.wordIds)).toEqual([-1, 0, 1, 1, 1, -1]);
    expect(wordScores(split, [9, 1, 0.5, 0.25, 0.25, 9])).toEqual([1, 1]);
  });

  it('counts [UNK] pieces among all pieces, untruncated', () => {
    expect(tok.unknownPieceStats([])).toEqual({ pieces: 0, unknown: 0, rate: 0 });
    const stats = tok.unknownPieceStats(['shares rise 🚀', 'x'.repeat(101), 'ok']);
    expect(stats).toEqual({ pieces: 5, unknown: 2, rate: 0.4 });
    expect(tok.tokenize('shares rise 🚀')).toEqual(['shares', 'rise', '[UNK]']);
  });
});

describe('WordPieceTokenizer character handling, code point by code point against the reference', () => {
  const tok = WordPieceTokenizer.fromJSON(miniJson());

  it('uses the reference character classes', () => {
    expect(Array.from(REFERENCE_CLASSES.dropped)).toEqual(parseRanges(unicode.classes.dropped));
    expect(Array.from(REFERENCE_CLASSES.spaces)).toEqual(parseRanges(unicode.classes.spaces));
    expect(Array.from(REFERENCE_CLASSES.punctuation)).toEqual(parseRanges(unicode.classes.punctuation));
    expect(Array.from(REFERENCE_CLASSES.whitespace)).toEqual(parseRanges(unicode.classes.whitespace));
    expect(Array.from(REFERENCE_CLASSES.nonspacingMarks)).toEqual(
      parseRanges(unicode.classes.nonspacingMarks),
    );
  });

  it('normalizes every code point as the reference BertNormalizer does', () => {
    const table = (ranges: number[]): Uint8Array => {
      const flags = new Uint8Array(0x110000);
      for (let k = 0; k < ranges.length; k += 2) flags.fill(1, ranges[k], ranges[k + 1] + 1);
      return flags;
    };
    const dropped = table(parseRanges(unicode.classes.dropped));
    const spaces = table(parseRanges(unicode.classes.spaces));
    const marks = table(parseRanges(unicode.classes.nonspacingMarks));
    const hex = (s: string): number[] => s.split(' ').map((h) => parseInt(h, 16));
    const hangul = (cp: number): number[] => {
      const s = cp - 0xac00;
      const jamo = [0x1100 + Math.floor(s / 588), 0x1161 + Math.floor((s % 588) / 28)];
      return s % 28 === 0 ? jamo : [...jamo, 0x11a7 + (s % 28)];
    };
    const cjk = table([
      0x4e00, 0x9fff, 0x3400, 0x4dbf, 0x20000, 0x2a6df, 0x2a700, 0x2b73f, 0x2b740, 0x2b81f, 0x2b920, 0x2ceaf,
      0xf900, 0xfaff, 0x2f800, 0x2fa1f,
    ]);
    const mismatches: string[] = [];
    for (let cp = 0; cp < 0x110000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      let expected: string;
      if (dropped[cp]) expected = '';
      else if (cp === 0x20 || spaces[cp]) expected = ' ';
      else {
        const key = cp.toString(16);
        const decomposed =
          cp >= 0xac00 && cp <= 0xd7a3
            ? hangul(cp)
            : unicode.decompositions[key]
              ? hex(unicode.decompositions[key])
              : [cp];
        expected = decomposed
          .filter((d) => !marks[d])
          .map((d) =>
            unicode.lowercase[d.toString(16)]
              ? String.fromCodePoint(...hex(unicode.lowercase[d.toString(16)]))
              : String.fromCodePoint(d),
          )
          .join('');
        if (cjk[cp]) expected = ` ${expected} `;
      }
      const got = tok.normalize(String.fromCodePoint(cp));
      if (
        got !== expected &&
        mismatches.push(`U+${cp.toString(16)}: ${JSON.stringify(got)} != ${JSON.stringify(expected)}`) > 20
      )
        break;
    }
    expect(mismatches).toEqual([]);
  });

  it('follows the normalizer flags: no lower-casing, accents kept, CJK not padded, no cleaning', () => {
    const raw = WordPieceTokenizer.fromJSON(
      miniJson((j) => {
        j.normalizer = {
          type: 'BertNormalizer',
          clean_text: false,
          handle_chinese_chars: false,
          strip_accents: null,
          lowercase: false,
        };
      }),
    );
    expect(raw.normalize('Café 中国\u0007')).toBe('Café 中国\u0007');
    const accents = WordPieceTokenizer.fromJSON(miniJson((j) => (j.normalizer.strip_accents = false)));
    expect(accents.normalize('Café İ')).toBe('café i\u0307');
  });

  it('splits [MASK] and friends verbatim out of the raw text, leftmost then longest', () => {
    expect(tok.tokenize('stocks[MASK]rise [mask]')).toEqual([
      'stock',
      '##s',
      '[MASK]',
      'rise',
      '[UNK]',
      '[UNK]',
      '[UNK]',
    ]);
  });

  it('gives [UNK] for a word with no match or over max_input_chars_per_word, and handles surrogate pairs', () => {
    expect(tok.tokenize('rise unrise stocksx stocks')).toEqual(['rise', '[UNK]', '[UNK]', 'stock', '##s']);
    const long = WordPieceTokenizer.fromJSON(miniJson((j) => (j.model.max_input_chars_per_word = 5)));
    expect(long.tokenize('stock stocks')).toEqual(['stock', '[UNK]']);
    const emoji = WordPieceTokenizer.fromJSON(miniJson((j) => (j.model.vocab['𝒳'] = 12)));
    expect(emoji.tokenize('𝒳 𝒳𝒳')).toEqual(['𝒳', '[UNK]']);
  });

  it('is versioned by its JSON', () => {
    expect(WordPieceTokenizer.fromJSON(miniJson()).version).toBe(tok.version);
    expect(WordPieceTokenizer.fromJSON(JSON.stringify(miniJson())).version).toBe(tok.version);
    expect(WordPieceTokenizer.fromJSON(miniJson((j) => (j.model.vocab.extra = 12))).version).not.toBe(
      tok.version,
    );
  });
});

describe('WordPieceTokenizer refuses what it does not implement', () => {
  const refused = (edit: (json: any) => void, message: RegExp): void => {
    expect(() => WordPieceTokenizer.fromJSON(miniJson(edit))).toThrow(message);
  };

  it('refuses a vocabulary that does not match the weights', () => {
    expect(() => WordPieceTokenizer.fromJSON(miniJson(), { expectedVocabSize: 30522 })).toThrow(
      "tokenizer has 12 entries but the weights' embedding matrix has 30522 rows",
    );
  });

  it('refuses other normalizers, pre-tokenizers, models and post-processors', () => {
    refused(
      (j) => (j.normalizer = { type: 'NFKC' }),
      /normalizer type NFKC is not supported \(only BertNormalizer\)/,
    );
    refused((j) => (j.normalizer = null), /normalizer must be an object/);
    refused(
      (j) => (j.pre_tokenizer = { type: 'Whitespace' }),
      /pre_tokenizer type Whitespace is not supported/,
    );
    refused((j) => (j.model.type = 'BPE'), /model type BPE is not supported \(only WordPiece\)/);
    refused(
      (j) => (j.post_processor = { type: 'RobertaProcessing' }),
      /post_processor type RobertaProcessing is not supported/,
    );
  });

  it('refuses inconsistent vocabularies, added tokens and truncation settings', () => {
    refused((j) => (j.model.vocab.stock = 0), /id 0 appears twice/);
    refused((j) => {
      j.model.vocab = { '[UNK]': 0, a: 2 };
      j.added_tokens = [];
      j.post_processor = null;
    }, /no token with id 1/);
    refused((j) => (j.model.unk_token = '<unk>'), /unk_token <unk> is not in the vocabulary/);
    refused((j) => (j.added_tokens[4].normalized = true), /added token \[MASK\] has normalized=true/);
    refused(
      (j) => (j.added_tokens[4].id = 5),
      /added token \[MASK\] has id 5, which the vocabulary gives to stock/,
    );
    refused(
      (j) => (j.truncation = { direction: 'Left', max_length: 8 }),
      /truncation direction "Left" is not supported/,
    );
    refused((j) => (j.post_processor.special_tokens['[CLS]'].ids = [99]), /special token \[CLS\] has id 99/);
    expect(() => WordPieceTokenizer.fromJSON('[1]')).toThrow(/expected a JSON object/);
    expect(() => WordPieceTokenizer.fromFile('/nonexistent/tokenizer.json')).toThrow(/cannot read tokenizer/);
  });
});
