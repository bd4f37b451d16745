// The WordPiece tokenizer of BERT-family encoders (all-MiniLM-L6-v2 among them), read from a
// HuggingFace tokenizer.json and matching the reference `tokenizers` library id for id: its
// BertNormalizer (clean text, pad CJK ideographs, strip accents by NFD minus nonspacing marks,
// lower-case, in that order), BertPreTokenizer (whitespace, punctuation isolated), WordPiece model
// (greedy longest match first over Unicode scalars, `##` continuations, [UNK] for words over
// max_input_chars_per_word or with no match), added tokens ([CLS], [MASK]…) matched verbatim in the
// raw text, and the [CLS] … [SEP] template. Configurations it does not implement are refused rather
// than approximated. Character classes are the library's own (wordpiece-unicode.ts), so Node's newer
// Unicode tables cannot shift an id.
//
// It runs in the scoring hot path: characters are classified through a lookup table, ASCII words that
// normalization leaves unchanged are sliced from the input instead of rebuilt, and the pieces of each
// word are cached. Versioned by a hash of the tokenizer.json content, recorded with every model.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { REFERENCE_CLASSES } from './wordpiece-unicode';

/** A word of the input: its text as written and its UTF-16 offsets [start, end) in the input. */
export interface WordSpan {
  text: string;
  start: number;
  end: number;
}

export interface WordPieceEncoding {
  /** Token ids: the template's prefix ([CLS]), the word pieces, its suffix ([SEP]). */
  ids: Int32Array;
  /** Per id: the index in `words` of the word it is a piece of; -1 for template tokens. */
  wordIds: Int32Array;
  /** The words that kept at least one piece, in input order. */
  words: WordSpan[];
  /** Word pieces were dropped from the end to fit maxLength. */
  truncated: boolean;
}

/** Ids and attention masks of a batch, row-major [batchSize, sequenceLength], ready for int32 tensors. */
export interface WordPieceBatch {
  ids: Int32Array;
  attentionMask: Int32Array;
  batchSize: number;
  sequenceLength: number;
  /** Per row: the number of real (unpadded) tokens. */
  lengths: Int32Array;
  /** How many rows were truncated to maxLength. */
  truncated: number;
}

export interface EncodeOptions {
  /** Tokens per sequence including [CLS]/[SEP]; default: the file's truncation.max_length, else 512. */
  maxLength?: number;
}

export interface BatchOptions extends EncodeOptions {
  /** `longest` (default) pads every row to the batch's longest; `max-length` pads to maxLength. */
  padding?: 'longest' | 'max-length';
}

export interface UnknownPieceStats {
  pieces: number;
  unknown: number;
  /** unknown / pieces (0 when there are no pieces). */
  rate: number;
}

export interface WordPieceLoadOptions {
  /** Rows of the encoder's embedding matrix: a tokenizer with another vocabulary size is refused. */
  expectedVocabSize?: number;
}

// Static character classes, from the reference tables (one byte per BMP code point).
const DROP = 1; // removed by clean_text
const SPACE = 2; // becomes a space under clean_text
const PUNCT = 4; // a word of its own
const WS = 8; // separates words
const MN = 16; // nonspacing mark, removed when stripping accents
const CJK = 32; // padded with spaces by handle_chinese_chars
const KEEP_NFD = 64; // Node decomposes it, the library does not

const CLASS_TABLES: [keyof typeof REFERENCE_CLASSES, number][] = [
  ['dropped', DROP],
  ['spaces', SPACE],
  ['punctuation', PUNCT],
  ['whitespace', WS],
  ['nonspacingMarks', MN],
  ['cjkIdeographs', CJK],
  ['notDecomposed', KEEP_NFD],
];

// One byte per code point (1.1 MB), filled once from the ranges.
const CLASSES = (() => {
  const table = new Uint8Array(0x110000);
  for (const [name, flag] of CLASS_TABLES) {
    const ranges = REFERENCE_CLASSES[name];
    for (let r = 0; r < ranges.length; r += 2)
      for (let cp = ranges[r]; cp <= ranges[r + 1]; cp++) table[cp] |= flag;
  }
  table[0x20] |= SPACE;
  // Lone surrogates cannot occur in the library's (Rust, UTF-8) strings; they count as "other" there.
  table.fill(DROP, 0xd800, 0xe000);
  return table;
})();

const classOf = (cp: number): number => CLASSES[cp];

// Combining marks (any M category) continue the cluster NFD may reorder; BMP answers are memoized.
const MARK_RE = /^\p{M}$/u;
const bmpMarks = new Uint8Array(0x10000); // 0 unknown, 1 no, 2 yes

function isMark(cp: number): boolean {
  if (cp < 0x300) return false;
  if (cp >= 0x10000) return MARK_RE.test(String.fromCodePoint(cp));
  if (bmpMarks[cp] === 0) bmpMarks[cp] = MARK_RE.test(String.fromCharCode(cp)) ? 2 : 1;
  return bmpMarks[cp] === 2;
}

/** Code point at i of text and its length in UTF-16 units; a lone surrogate is returned as itself. */
function codePointAt(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
    const lo = text.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
  }
  return c;
}

const unitsOf = (cp: number): number => (cp > 0xffff ? 2 : 1);

function fromCodePoints(cps: number[], count: number): string {
  let out = '';
  for (let i = 0; i < count; i += 4096)
    out += String.fromCodePoint(...cps.slice(i, Math.min(count, i + 4096)));
  return out;
}

interface NormalizerConfig {
  cleanText: boolean;
  chineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

interface AddedToken {
  content: string;
  id: number;
}

interface TruncationConfig {
  maxLength: number;
}

// Results of the character mapping (strip accents, lower-case) of one code point.
const UNMAPPED = -1;
const REMOVED = -2;
const MULTIPLE = -3;

const WORD_CACHE_LIMIT = 50_000;
const ASTRAL_CACHE_LIMIT = 10_000;
const CACHEABLE_WORD = 48;
const DEFAULT_MAX_LENGTH = 512;

/** The scratch state of one encode call: pieces, their words, and the word being built. */
class Sink {
  ids: number[] = [];
  wordOf: number[] = [];
  spans: number[] = [];
  limit = Infinity;
  truncated = false;
  recordWords = false;
  unknown = 0;
  /** When set, normalized characters are collected here instead of being split into words. */
  normalized: number[] | null = null;
  // the word being built
  cps: number[] = [];
  count = 0;
  start = -1;
  end = -1;
  verbatim = true;

  reset(limit: number, recordWords: boolean): void {
    this.ids.length = 0;
    this.wordOf.length = 0;
    this.spans.length = 0;
    this.limit = limit;
    this.truncated = false;
    this.recordWords = recordWords;
    this.unknown = 0;
    this.normalized = null;
    this.count = 0;
    this.start = -1;
  }

  get full(): boolean {
    return this.ids.length >= this.limit;
  }

  /** Appends pieces of one word; returns false once the limit is passed (the rest is truncated). */
  push(pieces: Int32Array, start: number, end: number, unkId: number): boolean {
    const word = this.spans.length / 2;
    if (this.recordWords) this.spans.push(start, end);
    for (let k = 0; k < pieces.length; k++) {
      if (this.ids.length >= this.limit) {
        this.truncated = true;
        return false;
      }
      this.ids.push(pieces[k]);
      this.wordOf.push(word);
      if (pieces[k] === unkId) this.unknown++;
    }
    return true;
  }
}

export class WordPieceTokenizer {
  /** `wp-` and 12 hex digits of the SHA-256 of the tokenizer.json content. */
  readonly version: string;
  /** Number of ids (the encoder's embedding rows must match). */
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly unkId: number;
  readonly padId: number;
  /** Template ids before and after the word pieces of a single sequence ([CLS] and [SEP] for BERT). */
  readonly prefixIds: readonly number[];
  readonly suffixIds: readonly number[];

  private readonly normalizer: NormalizerConfig;
  private readonly vocab: Map<string, number>;
  private readonly continuation: Map<string, number>;
  private readonly tokens: string[];
  private readonly maxWordChars: number;
  private readonly maxInitialUnits: number;
  private readonly maxContinuationUnits: number;
  private readonly unkPieces: Int32Array;
  private readonly added: AddedToken[];
  private readonly addedFirstUnits: Set<number>;
  private readonly wordCache = new Map<string, Int32Array>();
  private readonly charMap = new Int32Array(0x10000).fill(UNMAPPED);
  /** Mapped astral characters (mostly emoji), bounded: cleared when it reaches ASTRAL_CACHE_LIMIT. */
  private readonly astralMap = new Map<number, number>();
  private readonly multiMap = new Map<number, number[]>();
  private readonly sink = new Sink();

  private constructor(json: Record<string, unknown>, options: WordPieceLoadOptions) {
    this.version = `wp-${createHash('sha256').update(JSON.stringify(json)).digest('hex').slice(0, 12)}`;
    this.normalizer = parseNormalizer(json.normalizer);
    parsePreTokenizer(json.pre_tokenizer);
    const model = parseModel(json.model);
    this.vocab = model.vocab;
    this.tokens = [];
    for (const [token, id] of this.vocab) this.tokens[id] = token;
    this.added = parseAddedTokens(json.added_tokens, this.tokens);
    this.vocabSize = this.tokens.length;
    for (let id = 0; id < this.vocabSize; id++)
      if (this.tokens[id] === undefined)
        throw new Error(`tokenizer.json: the vocabulary has no token with id ${id} (ids must be 0..n-1)`);
    if (options.expectedVocabSize !== undefined && options.expectedVocabSize !== this.vocabSize)
      throw new Error(
        `tokenizer has ${this.vocabSize} entries but the weights' embedding matrix has ${options.expectedVocabSize} rows`,
      );
    const unkId = this.vocab.get(model.unkToken);
    if (unkId === undefined)
      throw new Error(`tokenizer.json: unk_token ${model.unkToken} is not in the vocabulary`);
    this.unkId = unkId;
    this.unkPieces = Int32Array.of(unkId);
    this.maxWordChars = model.maxInputCharsPerWord;
    this.continuation = new Map();
    let maxInitial = 0;
    let maxContinuation = 0;
    for (const [token, id] of this.vocab) {
      maxInitial = Math.max(maxInitial, token.length);
      if (model.prefix && token.startsWith(model.prefix)) {
        const rest = token.slice(model.prefix.length);
        this.continuation.set(rest, id);
        maxContinuation = Math.max(maxContinuation, rest.length);
      }
    }
    if (!model.prefix) for (const [token, id] of this.vocab) this.continuation.set(token, id);
    this.maxInitialUnits = maxInitial;
    this.maxContinuationUnits = model.prefix ? maxContinuation : maxInitial;
    this.addedFirstUnits = new Set(this.added.map((t) => t.content.charCodeAt(0)));
    const template = parsePostProcessor(json.post_processor, this.tokens);
    this.prefixIds = template.prefix;
    this.suffixIds = template.suffix;
    this.maxLength = parseTruncation(json.truncation)?.maxLength ?? DEFAULT_MAX_LENGTH;
    this.padId = parsePadId(json.padding, this.vocab);
  }

  /** Parses a tokenizer.json (its text or the parsed object); refuses what it does not implement. */
  static fromJSON(json: unknown, options: WordPieceLoadOptions = {}): WordPieceTokenizer {
    const parsed: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('tokenizer.json: expected a JSON object');
    return new WordPieceTokenizer(parsed as Record<string, unknown>, options);
  }

  static fromFile(path: string, options: WordPieceLoadOptions = {}): WordPieceTokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read tokenizer ${path}: ${(err as Error).message}`);
    }
    try {
      return WordPieceTokenizer.fromJSON(text, options);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`);
    }
  }

  /** The vocabulary entry of an id (a word piece such as `##ing`, or a special token). */
  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined)
      throw new Error(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return t;
  }

  /** The word pieces of a text, without template tokens or truncation. */
  tokenize(text: string): string[] {
    this.run(text, Infinity, false);
    return this.sink.ids.map((id) => this.tokens[id]);
  }

  /** The text as the normalizer leaves it (what the library's `normalizer.normalize_str` returns). */
  normalize(text: string): string {
    if (typeof text !== 'string') throw new Error(`text must be a string, got ${typeof text}`);
    this.sink.reset(Infinity, false);
    const out: number[] = [];
    this.sink.normalized = out;
    this.scan(text, 0, text.length);
    this.sink.normalized = null;
    return fromCodePoints(out, out.length);
  }

  /** One sequence: [CLS] pieces [SEP], truncated to maxLength, with each piece's word. */
  encode(text: string, options: EncodeOptions = {}): WordPieceEncoding {
    const maxLength = this.checkMaxLength(options.maxLength);
    const sink = this.run(text, maxLength - this.prefixIds.length - this.suffixIds.length, true);
    const n = this.prefixIds.length + sink.ids.length + this.suffixIds.length;
    const ids = new Int32Array(n);
    const wordIds = new Int32Array(n).fill(-1);
    ids.set(this.prefixIds, 0);
    ids.set(sink.ids, this.prefixIds.length);
    wordIds.set(sink.wordOf, this.prefixIds.length);
    ids.set(this.suffixIds, this.prefixIds.length + sink.ids.length);
    const kept = sink.ids.length === 0 ? 0 : sink.wordOf[sink.wordOf.length - 1] + 1;
    const words: WordSpan[] = [];
    for (let w = 0; w < kept; w++) {
      const start = sink.spans[2 * w];
      const end = sink.spans[2 * w + 1];
      words.push({ text: text.slice(start, end), start, end });
    }
    return { ids, wordIds, words, truncated: sink.truncated };
  }

  /** A batch padded with padId to its longest row (or to maxLength), with attention masks. */
  encodeBatch(texts: readonly string[], options: BatchOptions = {}): WordPieceBatch {
    const maxLength = this.checkMaxLength(options.maxLength);
    const limit = maxLength - this.prefixIds.length - this.suffixIds.length;
    const rows: Int32Array[] = [];
    let truncated = 0;
    let longest = 0;
    for (const text of texts) {
      const sink = this.run(text, limit, false);
      if (sink.truncated) truncated++;
      rows.push(Int32Array.from(sink.ids));
      longest = Math.max(longest, sink.ids.length + this.prefixIds.length + this.suffixIds.length);
    }
    const sequenceLength = options.padding === 'max-length' ? maxLength : longest;
    const ids = new Int32Array(texts.length * sequenceLength);
    const attentionMask = new Int32Array(texts.length * sequenceLength);
    const lengths = new Int32Array(texts.length);
    if (this.padId !== 0) ids.fill(this.padId);
    rows.forEach((pieces, r) => {
      const at = r * sequenceLength;
      ids.set(this.prefixIds, at);
      ids.set(pieces, at + this.prefixIds.length);
      ids.set(this.suffixIds, at + this.prefixIds.length + pieces.length);
      lengths[r] = this.prefixIds.length + pieces.length + this.suffixIds.length;
      attentionMask.fill(1, at, at + lengths[r]);
    });
    return { ids, attentionMask, batchSize: texts.length, sequenceLength, lengths, truncated };
  }

  /** How many word pieces of the texts are [UNK] (untruncated): a drift signal for the encoder. */
  unknownPieceStats(texts: Iterable<string>): UnknownPieceStats {
    let pieces = 0;
    let unknown = 0;
    for (const text of texts) {
      const sink = this.run(text, Infinity, false);
      pieces += sink.ids.length;
      unknown += sink.unknown;
    }
    return { pieces, unknown, rate: pieces === 0 ? 0 : unknown / pieces };
  }

  private checkMaxLength(requested: number | undefined): number {
    const maxLength = requested ?? this.maxLength;
    const reserved = this.prefixIds.length + this.suffixIds.length;
    if (!Number.isInteger(maxLength) || maxLength <= reserved)
      throw new Error(
        `maxLength must be an integer above ${reserved} (the template's tokens), got ${maxLength}`,
      );
    return maxLength;
  }

  /** Splits out added tokens matched verbatim (leftmost, then longest), and tokenizes the rest. */
  private run(text: string, limit: number, recordWords: boolean): Sink {
    if (typeof text !== 'string') throw new Error(`text must be a string, got ${typeof text}`);
    const sink = this.sink;
    sink.reset(limit, recordWords);
    let from = 0;
    if (this.added.length > 0) {
      for (let i = 0; i < text.length; i++) {
        if (!this.addedFirstUnits.has(text.charCodeAt(i))) continue;
        let match: AddedToken | undefined;
        for (const token of this.added)
          if (text.startsWith(token.content, i)) {
            match = token;
            break;
          }
        if (!match) continue;
        if (!this.scan(text, from, i)) return sink;
        if (!sink.push(Int32Array.of(match.id), i, i + match.content.length, this.unkId)) return sink;
        from = i + match.content.length;
        i = from - 1;
      }
    }
    this.scan(text, from, text.length);
    return sink;
  }

  /** Normalizes and pre-tokenizes text[from, to) word by word; false once truncated. */
  private scan(text: string, from: number, to: number): boolean {
    const sink = this.sink;
    const { cleanText, chineseChars, stripAccents } = this.normalizer;
    let i = from;
    while (i < to) {
      if (sink.truncated) return false;
      const cp = codePointAt(text, i, to);
      const units = unitsOf(cp);
      const cls = classOf(cp);
      if (cleanText && cls & (DROP | SPACE)) {
        if (cls & SPACE && !this.space(text)) return false;
        i += units;
        continue;
      }
      if (chineseChars && cls & CJK) {
        if (!this.space(text)) return false;
        this.emitChar(text, cp, i, i + units);
        if (!this.space(text)) return false;
        i += units;
        continue;
      }
      // NFD may reorder the marks that follow a character: map such a cluster as a whole.
      let end = i + units;
      if (stripAccents) {
        let j = end;
        while (j < to) {
          const next = codePointAt(text, j, to);
          const nextUnits = unitsOf(next);
          if (cleanText && classOf(next) & DROP) {
            j += nextUnits;
            continue;
          }
          if (!isMark(next)) break;
          j += nextUnits;
          end = j;
        }
      }
      if (end === i + units) this.emitChar(text, cp, i, end);
      else this.emitCluster(text, i, end);
      i = end;
    }
    return this.flush(text);
  }

  /** Maps one character (accents stripped, lower-cased) and feeds the result to the pre-tokenizer. */
  private emitChar(text: string, cp: number, start: number, end: number): void {
    let mapped = cp < 0x10000 ? this.charMap[cp] : (this.astralMap.get(cp) ?? UNMAPPED);
    if (mapped === UNMAPPED) {
      const out = this.mapString(String.fromCodePoint(cp));
      mapped = out.length === 0 ? REMOVED : out.length === 1 ? out[0] : MULTIPLE;
      if (mapped === MULTIPLE) this.multiMap.set(cp, out); // bounded: few characters map to several
      if (cp < 0x10000) this.charMap[cp] = mapped;
      else {
        if (this.astralMap.size >= ASTRAL_CACHE_LIMIT) this.astralMap.clear();
        this.astralMap.set(cp, mapped);
      }
    }
    if (mapped >= 0) this.emit(text, mapped, start, end, mapped === cp);
    else if (mapped === MULTIPLE)
      for (const o of this.multiMap.get(cp) as number[]) this.emit(text, o, start, end, false);
  }

  /**
   * A character with the combining marks after it: decomposed character by character, then put in
   * canonical order (NFD sorts marks by combining class). Offsets stay with the positions, not with the
   * reordered characters, as the library's alignments do.
   */
  private emitCluster(text: string, start: number, end: number): void {
    const { cleanText, lowercase } = this.normalizer;
    const cps: number[] = [];
    const origins: number[] = [];
    for (let j = start; j < end;) {
      const cp = codePointAt(text, j, end);
      const units = unitsOf(cp);
      if (!(cleanText && classOf(cp) & DROP))
        for (const ch of this.nfd(String.fromCodePoint(cp))) {
          cps.push(ch.codePointAt(0) as number);
          origins.push(j, j + units);
        }
      j += units;
    }
    for (let k = 1; k < cps.length; k++)
      for (let m = k; m > 0 && reorders(cps[m - 1], cps[m]); m--) [cps[m - 1], cps[m]] = [cps[m], cps[m - 1]];
    cps.forEach((cp, k) => {
      if (classOf(cp) & MN) return;
      const ch = String.fromCodePoint(cp);
      for (const l of lowercase ? ch.toLowerCase() : ch)
        this.emit(text, l.codePointAt(0) as number, origins[2 * k], origins[2 * k + 1], false);
    });
  }

  /** Strip accents (NFD, minus nonspacing marks) then lower-case, per the normalizer's flags. */
  private mapString(s: string): number[] {
    const { stripAccents, lowercase } = this.normalizer;
    const cps: number[] = [];
    for (const ch of stripAccents ? this.nfd(s) : s) {
      const cp = ch.codePointAt(0) as number;
      if (stripAccents && classOf(cp) & MN) continue;
      const lower = lowercase ? ch.toLowerCase() : ch;
      if (lower === ch) cps.push(cp);
      else for (const l of lower) cps.push(l.codePointAt(0) as number);
    }
    return cps;
  }

  /** NFD, except for the characters the library's older tables do not decompose. */
  private nfd(s: string): string {
    let keep = false;
    for (const ch of s) if (classOf(ch.codePointAt(0) as number) & KEEP_NFD) keep = true;
    if (!keep) return s.normalize('NFD');
    let out = '';
    for (const ch of s) out += classOf(ch.codePointAt(0) as number) & KEEP_NFD ? ch : ch.normalize('NFD');
    return out;
  }

  /** A space of the normalizer (whitespace, CJK padding): ends the current word. */
  private space(text: string): boolean {
    if (this.sink.normalized) {
      this.sink.normalized.push(0x20);
      return true;
    }
    return this.flush(text);
  }

  /** The pre-tokenizer: whitespace ends a word, punctuation is a word of its own. */
  private emit(text: string, cp: number, start: number, end: number, verbatim: boolean): void {
    const sink = this.sink;
    if (sink.normalized) {
      sink.normalized.push(cp);
      return;
    }
    const cls = classOf(cp);
    if (cls & WS) {
      this.flush(text);
      return;
    }
    if (cls & PUNCT) this.flush(text);
    if (sink.count === 0) {
      sink.start = start;
      sink.verbatim = true;
    } else if (start !== sink.end) sink.verbatim = false;
    if (!verbatim) sink.verbatim = false;
    sink.cps[sink.count++] = cp;
    sink.end = end;
    if (cls & PUNCT) this.flush(text);
  }

  /** Ends the current word: its word pieces go to the sink. False once the sink is full. */
  private flush(text: string): boolean {
    const sink = this.sink;
    if (sink.count === 0) return !sink.truncated;
    const count = sink.count;
    sink.count = 0;
    if (sink.full) {
      sink.truncated = true;
      return false;
    }
    let pieces: Int32Array;
    if (count > this.maxWordChars) pieces = this.unkPieces;
    else {
      const word = sink.verbatim ? text.slice(sink.start, sink.end) : fromCodePoints(sink.cps, count);
      pieces = this.wordPieces(word);
    }
    return sink.push(pieces, sink.start, sink.end, this.unkId);
  }

  private wordPieces(word: string): Int32Array {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const pieces = this.greedy(word);
    if (word.length <= CACHEABLE_WORD) {
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, pieces);
    }
    return pieces;
  }

  /** Longest vocabulary match first, then `##` continuations; [UNK] for the word when one fails. */
  private greedy(word: string): Int32Array {
    const ids: number[] = [];
    const n = word.length;
    let start = 0;
    while (start < n) {
      const vocab = start === 0 ? this.vocab : this.continuation;
      let end = Math.min(n, start + (start === 0 ? this.maxInitialUnits : this.maxContinuationUnits));
      // never end between the two halves of a surrogate pair
      if (end < n && isLowSurrogate(word.charCodeAt(end)) && isHighSurrogate(word.charCodeAt(end - 1))) end--;
      let id: number | undefined;
      while (end > start) {
        id = vocab.get(word.slice(start, end));
        if (id !== undefined) break;
        end -=
          end - 2 >= start &&
          isLowSurrogate(word.charCodeAt(end - 1)) &&
          isHighSurrogate(word.charCodeAt(end - 2))
            ? 2
            : 1;
      }
      if (id === undefined) return this.unkPieces;
      ids.push(id);
      start = end;
    }
    return Int32Array.from(ids);
  }
}

/** Whether canonical ordering puts mark b before mark a (a higher combining class before a lower one). */
function reorders(a: number, b: number): boolean {
  return a !== b && String.fromCodePoint(a, b).normalize('NFD') === String.fromCodePoint(b, a);
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/**
 * Sums per-piece scores (attributions) into per-word scores, so `##ing` counts
 * towards its word; template and padding positions are ignored.
 */
export function wordScores(
  encoding: { words: ArrayLike<unknown>; wordIds: ArrayLike<number> },
  pieceScores: ArrayLike<number>,
): number[] {
  const scores = new Array<number>(encoding.words.length).fill(0);
  for (let k = 0; k < encoding.wordIds.length && k < pieceScores.length; k++) {
    const w = encoding.wordIds[k] as number;
    if (w >= 0) scores[w] = (scores[w] as number) + (pieceScores[k] as number);
  }
  return scores;
}

// ---- tokenizer.json parsing: each part is checked, and a configuration it does not implement is refused.

type Json = Record<string, unknown>;

function asObject(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`tokenizer.json: ${where} must be an object, got ${JSON.stringify(value) ?? 'nothing'}`);
  return value as Json;
}

function typeOf(value: unknown, where: string): string {
  const type = asObject(value, where).type;
  return typeof type === 'string' ? type : JSON.stringify(type);
}

function flag(obj: Json, key: string, where: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new Error(`tokenizer.json: ${where}.${key} must be true or false`);
  return v;
}

function parseNormalizer(value: unknown): NormalizerConfig {
  const type = typeOf(value, 'normalizer');
  if (type !== 'BertNormalizer')
    throw new Error(`tokenizer.json: normalizer type ${type} is not supported (only BertNormalizer)`);
  const n = value as Json;
  const lowercase = flag(n, 'lowercase', 'normalizer', true);
  const strip = n.strip_accents;
  if (strip !== null && strip !== undefined && typeof strip !== 'boolean')
    throw new Error('tokenizer.json: normalizer.strip_accents must be true, false or null');
  return {
    cleanText: flag(n, 'clean_text', 'normalizer', true),
    chineseChars: flag(n, 'handle_chinese_chars', 'normalizer', true),
    // the library's rule: strip_accents null follows lowercase
    stripAccents: typeof strip === 'boolean' ? strip : lowercase,
    lowercase,
  };
}

function parsePreTokenizer(value: unknown): void {
  const type = typeOf(value, 'pre_tokenizer');
  if (type !== 'BertPreTokenizer')
    throw new Error(`tokenizer.json: pre_tokenizer type ${type} is not supported (only BertPreTokenizer)`);
}

interface ModelConfig {
  vocab: Map<string, number>;
  unkToken: string;
  prefix: string;
  maxInputCharsPerWord: number;
}

function parseModel(value: unknown): ModelConfig {
  const type = typeOf(value, 'model');
  if (type !== 'WordPiece')
    throw new Error(`tokenizer.json: model type ${type} is not supported (only WordPiece)`);
  const m = value as Json;
  const vocabJson = asObject(m.vocab, 'model.vocab');
  const vocab = new Map<string, number>();
  const seen = new Set<number>();
  for (const [token, id] of Object.entries(vocabJson)) {
    if (!Number.isInteger(id) || (id as number) < 0)
      throw new Error(`tokenizer.json: model.vocab[${JSON.stringify(token)}] must be an id >= 0`);
    if (seen.has(id as number))
      throw new Error(`tokenizer.json: id ${String(id)} appears twice in model.vocab`);
    seen.add(id as number);
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) throw new Error('tokenizer.json: model.vocab is empty');
  const unkToken = m.unk_token ?? '[UNK]';
  const prefix = m.continuing_subword_prefix ?? '##';
  const maxChars = m.max_input_chars_per_word ?? 100;
  if (typeof unkToken !== 'string') throw new Error('tokenizer.json: model.unk_token must be a string');
  if (typeof prefix !== 'string')
    throw new Error('tokenizer.json: model.continuing_subword_prefix must be a string');
  if (!Number.isInteger(maxChars) || (maxChars as number) < 1)
    throw new Error('tokenizer.json: model.max_input_chars_per_word must be a positive integer');
  return { vocab, unkToken, prefix, maxInputCharsPerWord: maxChars as number };
}

function parseAddedTokens(value: unknown, tokens: string[]): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error('tokenizer.json: added_tokens must be an array');
  const added = value.map((raw, k): AddedToken => {
    const t = asObject(raw, `added_tokens[${k}]`);
    if (typeof t.content !== 'string' || t.content === '' || !Number.isInteger(t.id) || (t.id as number) < 0)
      throw new Error(`tokenizer.json: added_tokens[${k}] needs a non-empty content and an id >= 0`);
    for (const key of ['normalized', 'lstrip', 'rstrip', 'single_word'])
      if (t[key] === true)
        throw new Error(
          `tokenizer.json: added token ${t.content} has ${key}=true, which is not supported (only verbatim matching)`,
        );
    const id = t.id as number;
    if (tokens[id] === undefined) tokens[id] = t.content;
    else if (tokens[id] !== t.content)
      throw new Error(
        `tokenizer.json: added token ${t.content} has id ${id}, which the vocabulary gives to ${tokens[id]}`,
      );
    return { content: t.content, id };
  });
  // leftmost-longest matching: at one position, the longest token wins
  return added.sort((a, b) => b.content.length - a.content.length);
}

function specialIds(name: unknown, specials: Json, where: string): number[] {
  if (typeof name !== 'string') throw new Error(`tokenizer.json: ${where} needs a token name`);
  const special = asObject(specials[name], `post_processor.special_tokens[${JSON.stringify(name)}]`);
  const ids = special.ids;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id)))
    throw new Error(`tokenizer.json: post_processor.special_tokens[${JSON.stringify(name)}].ids must be ids`);
  return ids as number[];
}

function parsePostProcessor(value: unknown, tokens: string[]): { prefix: number[]; suffix: number[] } {
  if (value === null || value === undefined) return { prefix: [], suffix: [] };
  const type = typeOf(value, 'post_processor');
  const p = value as Json;
  if (type === 'BertProcessing') {
    const pair = (v: unknown, key: string): number => {
      if (!Array.isArray(v) || typeof v[0] !== 'string' || !Number.isInteger(v[1]))
        throw new Error(`tokenizer.json: post_processor.${key} must be [token, id]`);
      return v[1] as number;
    };
    const ids = [pair(p.cls, 'cls'), pair(p.sep, 'sep')];
    for (const id of ids)
      if (tokens[id] === undefined)
        throw new Error(`tokenizer.json: post_processor id ${id} is outside the vocabulary`);
    return { prefix: [ids[0]], suffix: [ids[1]] };
  }
  if (type !== 'TemplateProcessing')
    throw new Error(
      `tokenizer.json: post_processor type ${type} is not supported (only TemplateProcessing and BertProcessing)`,
    );
  if (!Array.isArray(p.single)) throw new Error('tokenizer.json: post_processor.single must be a template');
  const specials = asObject(p.special_tokens ?? {}, 'post_processor.special_tokens');
  const prefix: number[] = [];
  const suffix: number[] = [];
  let sawSequence = false;
  for (const [k, raw] of (p.single as unknown[]).entries()) {
    const item = asObject(raw, `post_processor.single[${k}]`);
    if (item.Sequence !== undefined) {
      const id = asObject(item.Sequence, `post_processor.single[${k}].Sequence`).id;
      if (id !== 'A' || sawSequence)
        throw new Error('tokenizer.json: post_processor.single must hold sequence A exactly once');
      sawSequence = true;
    } else if (item.SpecialToken !== undefined) {
      const name = asObject(item.SpecialToken, `post_processor.single[${k}].SpecialToken`).id;
      const ids = specialIds(name, specials, `post_processor.single[${k}]`);
      for (const id of ids)
        if (tokens[id] === undefined)
          throw new Error(
            `tokenizer.json: special token ${String(name)} has id ${id}, outside the vocabulary`,
          );
      (sawSequence ? suffix : prefix).push(...ids);
    } else
      throw new Error(`tokenizer.json: post_processor.single[${k}] is neither a Sequence nor a SpecialToken`);
  }
  if (!sawSequence) throw new Error('tokenizer.json: post_processor.single has no sequence A');
  return { prefix, suffix };
}

function parseTruncation(value: unknown): TruncationConfig | undefined {
  if (value === null || value === undefined) return undefined;
  const t = asObject(value, 'truncation');
  if (t.direction !== undefined && t.direction !== 'Right')
    throw new Error(
      `tokenizer.json: truncation direction ${JSON.stringify(t.direction)} is not supported (only Right)`,
    );
  if (t.strategy === 'OnlySecond')
    throw new Error('tokenizer.json: truncation strategy OnlySecond cannot truncate a single sequence');
  if (!Number.isInteger(t.max_length) || (t.max_length as number) < 1)
    throw new Error('tokenizer.json: truncation.max_length must be a positive integer');
  return { maxLength: t.max_length as number };
}

function parsePadId(value: unknown, vocab: Map<string, number>): number {
  if (value === null || value === undefined) return vocab.get('[PAD]') ?? 0;
  const p = asObject(value, 'padding');
  if (p.direction !== undefined && p.direction !== 'Right')
    throw new Error(
      `tokenizer.json: padding direction ${JSON.stringify(p.direction)} is not supported (only Right)`,
    );
  if (p.pad_id !== undefined && !Number.isInteger(p.pad_id))
    throw new Error('tokenizer.json: padding.pad_id must be an id');
  return (p.pad_id as number | undefined) ?? vocab.get('[PAD]') ?? 0;
}
