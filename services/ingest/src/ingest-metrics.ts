// The ingest service's own Prometheus metrics.
import { counter, histogram } from '@mercato/telemetry';

export type Endpoint = 'news' | 'interactions' | 'catalog';
export type RecordOutcome = 'accepted' | 'duplicate' | 'rejected';

export const ingestMetrics = {
  records: counter('mercato_ingest_records_total', 'Records by endpoint and outcome', [
    'endpoint',
    'outcome',
  ]),
  requestsFailed: counter(
    'mercato_ingest_requests_failed_total',
    'Whole requests refused (4xx) or not stored (503), by endpoint and status',
    ['endpoint', 'status'],
  ),
  publishSeconds: histogram(
    'mercato_ingest_publish_seconds',
    'Time to publish an accepted batch with acks from all in-sync replicas',
    ['topic'],
  ),
  publishFailures: counter(
    'mercato_ingest_publish_failures_total',
    'Batches whose publish failed (answered 503; nothing of them was accepted)',
    ['topic'],
  ),
  dedupeKeysDeleted: counter(
    'mercato_ingest_dedupe_keys_deleted_total',
    'Dedupe keys deleted because they are older than the window',
    [],
  ),
};

const ENDPOINTS: Record<string, Endpoint> = {
  '/v1/news': 'news',
  '/v1/interactions': 'interactions',
  '/v1/catalog/items': 'catalog',
};

/** Counts a refused (or failed) request of an ingest endpoint by its status. */
export function countRefusedRequest(path: string, status: number): void {
  const endpoint = ENDPOINTS[path];
  if (endpoint) ingestMetrics.requestsFailed.inc({ endpoint, status: String(status) });
}
