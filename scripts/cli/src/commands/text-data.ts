// The --format and --encoding options of the commands that read labeled text (train and eval of
// sentiment models, replay): they override what the readers of @mercato/ml detect.
import { parseTextEncoding, parseTextFormat, type TextEncoding, type TextFormat } from '@mercato/ml';
import { Option } from 'commander';

export interface TextDataOptions {
  format?: TextFormat;
  encoding?: TextEncoding;
}

export const formatOption = (prefix = ''): Option =>
  new Option(
    '--format <format>',
    `${prefix}csv, phrasebank or jsonl (default: by extension: .csv, .jsonl/.ndjson/.json, else PhraseBank)`,
  ).argParser(parseTextFormat);

export const encodingOption = (prefix = ''): Option =>
  new Option(
    '--encoding <encoding>',
    `${prefix}utf-8 or latin1 (default: UTF-8 when the file is valid UTF-8, else Latin-1 with a warning)`,
  ).argParser(parseTextEncoding);

/** Recommender data are MovieLens files, read by their names: the text options do not apply. */
export function refuseTextDataOptions(kind: string, opts: TextDataOptions): void {
  if (opts.format !== undefined || opts.encoding !== undefined)
    throw new Error(
      `--format and --encoding apply to sentiment data; ${kind} data are MovieLens files, read by name (ratings.csv, movies.csv, u.data, u.item)`,
    );
}
