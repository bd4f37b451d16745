// Reads the feature service's point-in-time dataset exports (streamed NDJSON) into recommender rows:
// GET /v1/datasets/interactions?as_of&split_at and GET /v1/datasets/items?as_of, and the analysts'
// sentiment corrections: GET /v1/datasets/sentiment-feedback?as_of. The exports are read in the worker
// thread, so parsing a large one never blocks the service's event loop; the corrections (a small set)
// are read by the service, which scores the champion on their held-out part too. A feature service that
// is down or overloaded is a retriable failure; an answer that can never work (bad request, no
// access, malformed rows) is not.
import { authHeaders } from '@mercato/auth';
import {
  SENTIMENT_LABELS,
  type LabeledText,
  type RecommenderItem,
  type RecommenderObjective,
  type RecommenderRow,
} from '@mercato/ml';

/** The export could not be read now but may be later (connection refused, 5xx, 429, timeout). */
export class DatasetUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatasetUnavailableError';
  }
}

export interface FeatureDatasetOptions {
  url: string;
  apiKey?: string;
  /** The tenant whose data is read (a platform key acts for it). */
  tenantId?: string;
  asOf: string;
  splitAt?: string;
  objective: RecommenderObjective;
}

interface InteractionLine {
  user_id?: unknown;
  item_id?: unknown;
  type?: unknown;
  value?: unknown;
  occurred_at?: unknown;
  split?: unknown;
}

interface ItemLine {
  item_id?: unknown;
  title?: unknown;
  description?: unknown;
  categories?: unknown;
}

async function* ndjson(
  url: string,
  headers: Record<string, string>,
): AsyncGenerator<{ line: number; value: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/x-ndjson', ...headers },
    });
  } catch (err) {
    throw new DatasetUnavailableError(`feature service unreachable (${url}): ${(err as Error).message}`);
  }
  if (!res.ok) {
    const body = (await res.text()).slice(0, 300);
    const message = `feature service answered ${res.status} for ${url}: ${body}`;
    if (res.status >= 500 || res.status === 429 || res.status === 408)
      throw new DatasetUnavailableError(message);
    throw new Error(message);
  }
  if (!res.body) return;
  const decoder = new TextDecoder();
  let pending = '';
  let line = 0;
  const parse = (text: string): { line: number; value: unknown } | undefined => {
    line++;
    if (!text.trim()) return undefined;
    try {
      return { line, value: JSON.parse(text) as unknown };
    } catch {
      throw new Error(`${url}: line ${line} is not JSON`);
    }
  };
  try {
    for await (const chunk of res.body) {
      pending += decoder.decode(chunk as Uint8Array, { stream: true });
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const parsed = parse(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        if (parsed) yield parsed;
      }
    }
  } catch (err) {
    if (err instanceof Error && err.message.includes('is not JSON')) throw err;
    throw new DatasetUnavailableError(`feature export ${url} broke off: ${(err as Error).message}`);
  }
  const last = parse(pending + decoder.decode());
  if (last) yield last;
}

/**
 * The interactions as of `asOf`, split at `splitAt` by the feature service, plus the catalogue.
 * Explicit models train on ratings only; implicit ones on every interaction type.
 */
export async function readFeatureDataset(
  options: FeatureDatasetOptions,
): Promise<{ interactions: RecommenderRow[]; items: RecommenderItem[] }> {
  const base = options.url.replace(/\/+$/, '');
  const query = new URLSearchParams({ as_of: options.asOf });
  if (options.splitAt) query.set('split_at', options.splitAt);
  const headers = authHeaders(options.apiKey, options.tenantId);
  const interactions: RecommenderRow[] = [];
  for await (const { line, value } of ndjson(
    `${base}/v1/datasets/interactions?${query.toString()}`,
    headers,
  )) {
    const r = value as InteractionLine;
    const timestamp = typeof r.occurred_at === 'string' ? Date.parse(r.occurred_at) : NaN;
    if (typeof r.user_id !== 'string' || typeof r.item_id !== 'string' || Number.isNaN(timestamp))
      throw new Error(`interactions export line ${line}: needs user_id, item_id and an ISO occurred_at`);
    if (options.objective === 'explicit' && r.type !== 'rating') continue;
    interactions.push({
      user: r.user_id,
      item: r.item_id,
      value: typeof r.value === 'number' ? r.value : 1,
      timestamp,
      split: r.split === 'test' ? 'test' : 'train',
    });
  }
  const items: RecommenderItem[] = [];
  const itemQuery = new URLSearchParams({ as_of: options.asOf });
  for await (const { line, value } of ndjson(`${base}/v1/datasets/items?${itemQuery.toString()}`, headers)) {
    const it = value as ItemLine;
    if (typeof it.item_id !== 'string') throw new Error(`items export line ${line}: needs item_id`);
    items.push({
      item: it.item_id,
      text: [it.title, it.description].filter((t) => typeof t === 'string').join(' '),
      categories: Array.isArray(it.categories) ? it.categories.filter((c) => typeof c === 'string') : [],
    });
  }
  return { interactions, items };
}

/** The tenant's sentiment corrections as of `asOf`: one per distinct text, its latest label. */
export async function readSentimentFeedback(options: {
  url: string;
  apiKey?: string;
  tenantId: string;
  asOf: string;
}): Promise<LabeledText[]> {
  const base = options.url.replace(/\/+$/, '');
  const query = new URLSearchParams({ as_of: options.asOf });
  const examples: LabeledText[] = [];
  for await (const { line, value } of ndjson(
    `${base}/v1/datasets/sentiment-feedback?${query.toString()}`,
    authHeaders(options.apiKey, options.tenantId),
  )) {
    const f = value as { text?: unknown; label?: unknown };
    const label = SENTIMENT_LABELS.indexOf(f.label as (typeof SENTIMENT_LABELS)[number]);
    if (typeof f.text !== 'string' || label < 0)
      throw new Error(
        `sentiment-feedback export line ${line}: needs text and a label of ${SENTIMENT_LABELS.join(', ')}`,
      );
    examples.push({ text: f.text, label });
  }
  return examples;
}
