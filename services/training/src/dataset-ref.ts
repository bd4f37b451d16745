// Dataset references in training requests: `file:<path>?labelMap=…&test=<path>&testSplit=0.2&pretrain=<path>`
// (a plain absolute path works too), or `synthetic:news?seed=1&count=3000` for generated demo data.
// A bad reference is a validation error: the request is dead-lettered, never retried.
import { NonRetriableError } from '@mercato/kafka';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';

export type DatasetRef =
  | {
      type: 'file';
      path: string;
      testPath?: string;
      testSplit?: number;
      labelMap?: string;
      pretrainPath?: string;
      itemsPath?: string;
    }
  | { type: 'synthetic'; dataset: 'news'; seed: number; count: number };

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
  return {
    type: 'file',
    path: readableFile(decodeURIComponent(asUrl.pathname), 'path'),
    testPath: params.get('test') ? readableFile(params.get('test') as string, 'test') : undefined,
    pretrainPath: params.get('pretrain')
      ? readableFile(params.get('pretrain') as string, 'pretrain')
      : undefined,
    itemsPath: params.get('items') ? readableFile(params.get('items') as string, 'items') : undefined,
    testSplit: split,
    labelMap: params.get('labelMap') ?? undefined,
  };
}
