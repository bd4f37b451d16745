// Dataset references in training requests: `file:<path>?labelMap=…&test=<path>&testSplit=0.2&unlabeled=<path>`
// (labeled text may add `format=csv|phrasebank|jsonl` and `encoding=utf-8|latin1` over detection)
// (a plain absolute path works too; recommenders add `items=<path>` and `split=random|time|leave-last-out`),
// `synthetic:news?seed=1&count=3000` for generated demo data, or
// `feature:interactions?as_of=<ISO>&split_at=<ISO>` for the feature service's point-in-time export.
// A bad reference is a validation error: the request is dead-lettered, never retried.
import { NonRetriableError } from '@mercato/kafka';
import { parseTextEncoding, parseTextFormat, type TextEncoding, type TextFormat } from '@mercato/ml';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';

export type DatasetRef =
  | {
      type: 'file';
      path: string;
      testPath?: string;
      testSplit?: number;
      labelMap?: string;
      format?: TextFormat;
      encoding?: TextEncoding;
      unlabeledPath?: string;
      itemsPath?: string;
      split?: 'random' | 'time' | 'leave-last-out';
    }
  | { type: 'synthetic'; dataset: 'news'; seed: number; count: number }
  | { type: 'feature'; dataset: 'interactions'; asOf?: string; splitAt?: string };

const FILE_SPLITS = ['random', 'time', 'leave-last-out'] as const;

function isoParam(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value)))
    throw new NonRetriableError(`dataset_ref ${name}: "${value}" is not an ISO-8601 timestamp`);
  return new Date(value).toISOString();
}

function parseFeatureRef(ref: string): DatasetRef {
  const url = new URL(ref);
  if (url.pathname !== 'interactions')
    throw new NonRetriableError(
      `dataset_ref: unknown feature dataset "${url.pathname}" (expected feature:interactions)`,
    );
  const asOf = isoParam(url.searchParams, 'as_of');
  const splitAt = isoParam(url.searchParams, 'split_at');
  if (asOf && splitAt && splitAt > asOf)
    throw new NonRetriableError('dataset_ref: split_at must not be after as_of');
  return { type: 'feature', dataset: 'interactions', asOf, splitAt };
}

function readableFile(path: string, field: string): string {
  if (!isAbsolute(path))
    throw new NonRetriableError(`dataset_ref ${field}: "${path}" must be an absolute path`);
  if (!existsSync(path))
    throw new NonRetriableError(`dataset_ref ${field}: ${path} does not exist on the training host`);
  return path;
}

export function parseDatasetRef(ref: string): DatasetRef {
  const trimmed = ref.trim();
  if (!trimmed) throw new NonRetriableError('dataset_ref is empty');
  if (trimmed.startsWith('feature:')) return parseFeatureRef(trimmed);
  if (trimmed.startsWith('synthetic:')) {
    const url = new URL(trimmed);
    if (url.pathname !== 'news')
      throw new NonRetriableError(`dataset_ref: unknown synthetic dataset "${url.pathname}"`);
    const seed = Number(url.searchParams.get('seed') ?? 1);
    const count = Number(url.searchParams.get('count') ?? 3000);
    if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 50 || count > 1_000_000) {
      throw new NonRetriableError(
        'dataset_ref: synthetic seed must be an integer and count between 50 and 1,000,000',
      );
    }
    return { type: 'synthetic', dataset: 'news', seed, count };
  }
  const asUrl = trimmed.startsWith('file:')
    ? new URL(trimmed.startsWith('file://') ? trimmed : `file://${trimmed.slice(5)}`)
    : new URL(`file://${trimmed}`);
  const params = asUrl.searchParams;
  const testSplit = params.get('testSplit');
  const split = testSplit === null ? undefined : Number(testSplit);
  if (split !== undefined && !(split > 0 && split < 1))
    throw new NonRetriableError('dataset_ref testSplit: expected a fraction between 0 and 1');
  const splitKind = params.get('split') ?? undefined;
  const option = <T>(name: string, parseValue: (value: string) => T): T | undefined => {
    const value = params.get(name);
    if (value === null) return undefined;
    try {
      return parseValue(value);
    } catch (err) {
      throw new NonRetriableError(`dataset_ref ${(err as Error).message.replace(/^--/, '')}`);
    }
  };
  if (splitKind !== undefined && !(FILE_SPLITS as readonly string[]).includes(splitKind))
    throw new NonRetriableError(`dataset_ref split: "${splitKind}" is not one of ${FILE_SPLITS.join(', ')}`);
  return {
    type: 'file',
    path: readableFile(decodeURIComponent(asUrl.pathname), 'path'),
    testPath: params.get('test') ? readableFile(params.get('test') as string, 'test') : undefined,
    unlabeledPath: params.get('unlabeled')
      ? readableFile(params.get('unlabeled') as string, 'unlabeled')
      : undefined,
    itemsPath: params.get('items') ? readableFile(params.get('items') as string, 'items') : undefined,
    testSplit: split,
    labelMap: params.get('labelMap') ?? undefined,
    format: option('format', parseTextFormat),
    encoding: option('encoding', parseTextEncoding),
    split: splitKind as (typeof FILE_SPLITS)[number] | undefined,
  };
}
