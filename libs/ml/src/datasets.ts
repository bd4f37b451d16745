// Readers for the public formats training and evaluation take directly: CSV `text,label`,
// Financial PhraseBank (`sentence@label`), JSON Lines, MovieLens `u.data`/`u.item` and
// `ratings.csv`/`movies.csv`. Labels map onto the canonical negative / neutral / positive order.
// Labeled text is read as UTF-8 when it is valid UTF-8, else as Latin-1 with a warning naming the
// first line that is not (the Financial PhraseBank was released in both); the format follows the
// extension unless one is given.
import { parse } from 'csv-parse/sync';
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';

export const SENTIMENT_LABELS = ['negative', 'neutral', 'positive'] as const;
export type SentimentLabelName = (typeof SENTIMENT_LABELS)[number];

export interface LabeledText {
  text: string;
  label: number;
}

const LABEL_SYNONYMS: Record<string, SentimentLabelName> = {
  negative: 'negative',
  bearish: 'negative',
  neg: 'negative',
  neutral: 'neutral',
  neu: 'neutral',
  positive: 'positive',
  bullish: 'positive',
  pos: 'positive',
};

/** Parses "0=negative,1=positive,2=neutral" (the TFNS convention) into a label map. */
export function parseLabelMap(spec: string): Record<string, SentimentLabelName> {
  const map: Record<string, SentimentLabelName> = {};
  for (const pair of spec.split(',')) {
    const [raw, name] = pair.split('=').map((s) => s.trim());
    const canonical = name ? LABEL_SYNONYMS[name.toLowerCase()] : undefined;
    if (!raw || !canonical)
      throw new Error(`bad label map entry "${pair}": expected <raw>=<negative|neutral|positive>`);
    map[raw] = canonical;
  }
  return map;
}

function toLabel(
  raw: string,
  labelMap: Record<string, SentimentLabelName> | undefined,
  where: string,
): number {
  const key = raw.trim();
  const name = labelMap?.[key] ?? LABEL_SYNONYMS[key.toLowerCase()];
  if (!name)
    throw new Error(
      `${where}: unknown label "${raw}" (give a label map such as 0=negative,1=positive,2=neutral)`,
    );
  return SENTIMENT_LABELS.indexOf(name);
}

export const TEXT_FORMATS = ['csv', 'phrasebank', 'jsonl'] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

export const TEXT_ENCODINGS = ['utf-8', 'latin1'] as const;
export type TextEncoding = (typeof TEXT_ENCODINGS)[number];

export interface TextReadOptions {
  /** How to decode the file; by default UTF-8 when it is valid UTF-8, else Latin-1 with a warning. */
  encoding?: TextEncoding;
  /** What a reader tells the user about the file (how it decoded it); default: stderr. */
  onWarning?: (message: string) => void;
}

export interface LabeledTextOptions extends TextReadOptions {
  /** The format, instead of the one the extension implies. */
  format?: TextFormat;
}

export function parseTextFormat(value: string): TextFormat {
  if ((TEXT_FORMATS as readonly string[]).includes(value)) return value as TextFormat;
  throw new Error(`--format ${value}: expected ${TEXT_FORMATS.join(', ')}`);
}

const ENCODING_NAMES: Record<string, TextEncoding> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  latin1: 'latin1',
  'latin-1': 'latin1',
  'iso-8859-1': 'latin1',
};

export function parseTextEncoding(value: string): TextEncoding {
  const encoding = ENCODING_NAMES[value.toLowerCase()];
  if (!encoding) throw new Error(`--encoding ${value}: expected utf-8 or latin1`);
  return encoding;
}

/** The format a file's name implies: .csv, .jsonl/.ndjson/.json, else PhraseBank (.txt). */
export function textFormatOf(path: string): TextFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return 'phrasebank';
}

const warnOnStderr = (message: string): void => {
  process.stderr.write(`warning: ${message}\n`);
};

/** The 1-based number of the first line that is not valid UTF-8. */
function firstNonUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    if (!isUtf8(bytes.subarray(start, end === -1 ? bytes.length : end))) return line;
    if (end === -1) return line;
    line++;
    start = end + 1;
  }
}

/** A text file's content: decoded as asked, or as UTF-8 when valid, else as Latin-1 (with a warning). */
export function readText(path: string, options: TextReadOptions = {}): string {
  let bytes = readFileSync(path);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  if (options.encoding === 'latin1') return bytes.toString('latin1');
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const line = firstNonUtf8Line(bytes);
  if (options.encoding === 'utf-8')
    throw new Error(
      `${basename(path)} line ${line}: not valid UTF-8 (--encoding latin1 reads the file as Latin-1)`,
    );
  (options.onWarning ?? warnOnStderr)(
    `${basename(path)} is not valid UTF-8 (first at line ${line}): read as Latin-1; --encoding utf-8 or latin1 decides`,
  );
  return bytes.toString('latin1');
}

/** CSV with a header naming `text` and `label` columns (other columns are ignored). */
export function readTextLabelCsv(
  path: string,
  labelMap?: Record<string, SentimentLabelName>,
  options: TextReadOptions = {},
): LabeledText[] {
  const rows = parse<Record<string, string>>(readText(path, options), {
    columns: true,
    skip_empty_lines: true,
    relax_quotes: true,
  });
  if (rows.length > 0 && (!('text' in (rows[0] as object)) || !('label' in (rows[0] as object)))) {
    throw new Error(`${basename(path)}: expected a header with "text" and "label" columns`);
  }
  return rows.map((r, i) => ({
    text: r.text ?? '',
    label: toLabel(r.label ?? '', labelMap, `${basename(path)} row ${i + 2}`),
  }));
}

/** Financial PhraseBank: one `sentence@label` per line (released in Latin-1, re-released in UTF-8). */
export function readPhraseBank(path: string, options: TextReadOptions = {}): LabeledText[] {
  const lines = readText(path, options)
    .split(/\r?\n/)
    .filter((l) => l.trim());
  return lines.map((line, i) => {
    const at = line.lastIndexOf('@');
    if (at < 0) throw new Error(`${basename(path)} line ${i + 1}: expected sentence@label`);
    return {
      text: line.slice(0, at),
      label: toLabel(line.slice(at + 1), undefined, `${basename(path)} line ${i + 1}`),
    };
  });
}

/** JSON Lines with `text` and `label` fields (label optional for unlabeled pretraining text). */
export function readJsonl(
  path: string,
  labelMap?: Record<string, SentimentLabelName>,
  options: TextReadOptions = {},
): { text: string; label?: number }[] {
  return readText(path, options)
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line, i) => {
      const obj = JSON.parse(line) as { text?: unknown; headline?: unknown; label?: unknown };
      const text =
        typeof obj.text === 'string' ? obj.text : typeof obj.headline === 'string' ? obj.headline : undefined;
      if (text === undefined) throw new Error(`${basename(path)} line ${i + 1}: no "text" field`);
      return obj.label === undefined
        ? { text }
        : {
            text,
            label: toLabel(
              typeof obj.label === 'string' || typeof obj.label === 'number'
                ? String(obj.label)
                : JSON.stringify(obj.label),
              labelMap,
              `${basename(path)} line ${i + 1}`,
            ),
          };
    });
}

/** Reads labeled text in any supported format: the one given, else the extension's (textFormatOf). */
export function readLabeledText(
  path: string,
  labelMap?: Record<string, SentimentLabelName>,
  options: LabeledTextOptions = {},
): LabeledText[] {
  switch (options.format ?? textFormatOf(path)) {
    case 'csv':
      return readTextLabelCsv(path, labelMap, options);
    case 'jsonl':
      return readJsonl(path, labelMap, options).filter((r): r is LabeledText => r.label !== undefined);
    case 'phrasebank':
      return readPhraseBank(path, options);
  }
}

export interface Rating {
  user: string;
  item: string;
  rating: number;
  timestamp: number;
}

export interface ItemInfo {
  item: string;
  title: string;
  genres: string[];
}

/** MovieLens ratings: `ratings.csv` (header userId,movieId,rating,timestamp) or `u.data` (tab-separated). */
export function readMovieLensRatings(path: string): Rating[] {
  if (path.endsWith('.csv')) {
    const rows = parse<Record<string, string>>(readFileSync(path), { columns: true, skip_empty_lines: true });
    return rows.map((r) => ({
      user: r.userId ?? '',
      item: r.movieId ?? '',
      rating: Number(r.rating),
      timestamp: Number(r.timestamp),
    }));
  }
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line) => {
      const [user = '', item = '', rating = '', timestamp = ''] = line.split('\t');
      return { user, item, rating: Number(rating), timestamp: Number(timestamp) };
    });
}

const ML100K_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

/** MovieLens items: `movies.csv` (movieId,title,genres with |) or `u.item` (pipe-separated, genre flags, Latin-1). */
export function readMovieLensItems(path: string): ItemInfo[] {
  if (path.endsWith('.csv')) {
    const rows = parse<Record<string, string>>(readFileSync(path), { columns: true, skip_empty_lines: true });
    return rows.map((r) => ({
      item: r.movieId ?? '',
      title: r.title ?? '',
      genres: (r.genres ?? '').split('|').filter((g) => g && g !== '(no genres listed)'),
    }));
  }
  return readFileSync(path, 'latin1')
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line) => {
      const f = line.split('|');
      const flags = f.slice(5);
      return {
        item: f[0] ?? '',
        title: f[1] ?? '',
        genres: ML100K_GENRES.filter((_, i) => flags[i] === '1'),
      };
    });
}

/** A stable content hash of a dataset file, recorded in model lineage. */
export function fileHash(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}
