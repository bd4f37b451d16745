// Readers for the public formats training and evaluation take directly: CSV `text,label`,
// Financial PhraseBank (`sentence@label`), JSON Lines, MovieLens `u.data`/`u.item` and
// `ratings.csv`/`movies.csv`. Labels map onto the canonical negative / neutral / positive order.
import { parse } from 'csv-parse/sync';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

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

/** CSV with a header naming `text` and `label` columns (other columns are ignored). */
export function readTextLabelCsv(path: string, labelMap?: Record<string, SentimentLabelName>): LabeledText[] {
  const rows = parse<Record<string, string>>(readFileSync(path), {
    columns: true,
    skip_empty_lines: true,
    relax_quotes: true,
    bom: true,
  });
  if (rows.length > 0 && (!('text' in (rows[0] as object)) || !('label' in (rows[0] as object)))) {
    throw new Error(`${basename(path)}: expected a header with "text" and "label" columns`);
  }
  return rows.map((r, i) => ({
    text: r.text ?? '',
    label: toLabel(r.label ?? '', labelMap, `${basename(path)} row ${i + 2}`),
  }));
}

/** Financial PhraseBank: one `sentence@label` per line, in Latin-1. */
export function readPhraseBank(path: string): LabeledText[] {
  const lines = readFileSync(path, 'latin1')
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
): { text: string; label?: number }[] {
  return readFileSync(path, 'utf8')
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

/** Reads labeled text from any supported format, chosen by extension (.csv, .jsonl, .txt = PhraseBank). */
export function readLabeledText(path: string, labelMap?: Record<string, SentimentLabelName>): LabeledText[] {
  if (path.endsWith('.csv')) return readTextLabelCsv(path, labelMap);
  if (path.endsWith('.jsonl') || path.endsWith('.json')) {
    return readJsonl(path, labelMap).filter((r): r is LabeledText => r.label !== undefined);
  }
  return readPhraseBank(path);
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
