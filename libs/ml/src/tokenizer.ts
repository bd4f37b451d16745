// The word tokenizer for news and finance text. Versioned by a hash of its configuration and
// vocabulary, saved with every model, so the scoring side always encodes text exactly as the model
// was trained. Cashtags ($TSLA) and numbers are kept as tokens of their own kind.
import { createHash } from 'node:crypto';
import type { UnknownPieceStats } from './transformer/wordpiece';

export const PAD = '<pad>';
export const UNK = '<unk>';
export const MASK = '<mask>';
const RESERVED = [PAD, UNK, MASK];

/** What the CNN classifier needs from a tokenizer (the word tokenizer here, or word pieces). */
export interface SequenceEncoder {
  readonly kind: 'word' | 'wordpiece';
  /** Vocabulary size: the embedding table's rows. */
  readonly size: number;
  /** Ids per text: longer texts are truncated, shorter ones padded on the right with padId. */
  readonly maxLength: number;
  readonly padId: number;
  readonly version: string;
  /**
   * The units explanations name (words, not pieces), and for each position of the text's encoded
   * row the index of its word in `words` (-1 for padding and template tokens).
   */
  wordPositions(text: string): WordPositions;
  encodeBatch(texts: string[]): Int32Array;
  /**
   * How many of the texts' units (words, or word pieces), untruncated, are outside the vocabulary
   * (the unknown id): a drift signal, high when the stream's vocabulary has moved from the training data.
   */
  unknownStats(texts: Iterable<string>): UnknownPieceStats;
}

export interface WordPositions {
  words: string[];
  wordIds: ArrayLike<number>;
}

/** The topN words with a positive weight, strongest first; a repeated word keeps its strongest weight. */
export function topWords(
  words: string[],
  weights: number[],
  topN: number,
): { token: string; weight: number }[] {
  const merged = new Map<string, number>();
  words.forEach((word, w) => merged.set(word, Math.max(merged.get(word) ?? -Infinity, weights[w] as number)));
  return [...merged]
    .map(([token, weight]) => ({ token, weight }))
    .filter((t) => t.weight > 0)
    .sort((a, b) => b.weight - a.weight)
    .slice(0, topN);
}

export interface TokenizerConfig {
  maxVocab: number;
  minCount: number;
  maxLength: number;
}

export interface TokenizerJSON {
  kind: 'mercato-word-tokenizer';
  version: string;
  config: TokenizerConfig;
  vocab: string[];
}

const URL_RE = /https?:\/\/\S+|www\.\S+/g;
const TOKEN_RE = /\$[a-z][a-z.]{0,9}|<url>|\d+(?:[.,]\d+)*%?|[a-z]+(?:'[a-z]+)?|[!?]/g;

/** Lower-cased, NFKC-normalized word tokens; URLs become <url>, numbers <num>, percentages <pct>. */
export function tokenize(text: string): string[] {
  const normalized = text.normalize('NFKC').toLowerCase().replace(URL_RE, ' <url> ');
  const out: string[] = [];
  for (const match of normalized.matchAll(TOKEN_RE)) {
    const t = match[0];
    if (/^\d/.test(t)) out.push(t.endsWith('%') ? '<pct>' : '<num>');
    else out.push(t);
  }
  return out;
}

export class Tokenizer implements SequenceEncoder {
  readonly kind = 'word' as const;
  private readonly index: Map<string, number>;
  readonly version: string;

  private constructor(
    readonly config: TokenizerConfig,
    readonly vocab: string[],
  ) {
    this.index = new Map(vocab.map((t, i) => [t, i]));
    this.version = `tok-${createHash('sha256').update(JSON.stringify({ config, vocab })).digest('hex').slice(0, 12)}`;
  }

  /** Builds the vocabulary from texts: the most frequent tokens with at least minCount uses, ties by token. */
  static fit(texts: Iterable<string>, config: Partial<TokenizerConfig> = {}): Tokenizer {
    const full: TokenizerConfig = { maxVocab: 20_000, minCount: 2, maxLength: 48, ...config };
    const counts = new Map<string, number>();
    for (const text of texts) for (const t of tokenize(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const words = [...counts]
      .filter(([, n]) => n >= full.minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, full.maxVocab - RESERVED.length)
      .map(([t]) => t);
    return new Tokenizer(full, [...RESERVED, ...words]);
  }

  static fromJSON(json: TokenizerJSON): Tokenizer {
    if (json.kind !== 'mercato-word-tokenizer')
      throw new Error(`not a Mercato tokenizer: ${String(json.kind)}`);
    const tokenizer = new Tokenizer(json.config, json.vocab);
    if (tokenizer.version !== json.version)
      throw new Error(
        `tokenizer version mismatch: file says ${json.version}, content is ${tokenizer.version}`,
      );
    return tokenizer;
  }

  get size(): number {
    return this.vocab.length;
  }

  /** The id of <pad>: rows are right-padded with it. */
  get padId(): number {
    return 0;
  }

  get maxLength(): number {
    return this.config.maxLength;
  }

  tokenize(text: string): string[] {
    return tokenize(text);
  }

  wordPositions(text: string): WordPositions {
    const words = tokenize(text).slice(0, this.config.maxLength);
    return { words, wordIds: words.map((_, i) => i) };
  }

  idOf(token: string): number {
    return this.index.get(token) ?? 1;
  }

  /** Token ids, truncated to maxLength and right-padded with 0. */
  encode(text: string): Int32Array {
    const ids = new Int32Array(this.config.maxLength);
    const tokens = tokenize(text);
    for (let i = 0; i < Math.min(tokens.length, ids.length); i++) ids[i] = this.idOf(tokens[i]);
    return ids;
  }

  encodeBatch(texts: string[]): Int32Array {
    const n = this.config.maxLength;
    const out = new Int32Array(texts.length * n);
    texts.forEach((t, i) => out.set(this.encode(t), i * n));
    return out;
  }

  unknownStats(texts: Iterable<string>): UnknownPieceStats {
    let pieces = 0;
    let unknown = 0;
    for (const text of texts)
      for (const token of tokenize(text)) {
        pieces++;
        if (!this.index.has(token)) unknown++;
      }
    return { pieces, unknown, rate: pieces === 0 ? 0 : unknown / pieces };
  }

  toJSON(): TokenizerJSON {
    return { kind: 'mercato-word-tokenizer', version: this.version, config: this.config, vocab: this.vocab };
  }
}
