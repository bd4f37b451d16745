// The 202 answer to a batch: one result per record, in request order, and the counts.
import { ingestMetrics, type Endpoint } from './ingest-metrics';
import type { FieldIssue } from './record-validation';

export type RecordStatus = 'accepted' | 'duplicate' | 'rejected';

export interface RecordResult {
  index: number;
  /** The record's id (article id, interaction event id, item id); null when it could not be read. */
  id: string | null;
  status: RecordStatus;
  /** For duplicates: which key matched. */
  reason?: string;
  errors?: FieldIssue[];
}

export interface BatchResult {
  accepted: number;
  duplicate: number;
  rejected: number;
  results: RecordResult[];
}

export function summarize(endpoint: Endpoint, results: RecordResult[]): BatchResult {
  const count = (status: RecordStatus): number => results.filter((r) => r.status === status).length;
  const summary = {
    accepted: count('accepted'),
    duplicate: count('duplicate'),
    rejected: count('rejected'),
    results: [...results].sort((a, b) => a.index - b.index),
  };
  for (const outcome of ['accepted', 'duplicate', 'rejected'] as const)
    if (summary[outcome] > 0) ingestMetrics.records.inc({ endpoint, outcome }, summary[outcome]);
  return summary;
}
