// The envelope every ingest endpoint takes: `{ "<records>": [ … ] }` with 1 to INGEST_MAX_BATCH
// records. Problems with the envelope fail the whole request; problems with a record only that record.
import { invalidField } from '@mercato/runtime';
import { batchTooLarge } from './http-errors';

export function batchOf(body: unknown, field: string, maxBatch: number): unknown[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidField('(body)', `expected a JSON object { "${field}": [ … ] }`);
  const extra = Object.keys(body).filter((k) => k !== field);
  if (extra.length > 0) throw invalidField(extra[0] as string, `unknown field (expected only "${field}")`);
  const records = (body as Record<string, unknown>)[field];
  if (records === undefined) throw invalidField(field, 'is required');
  if (!Array.isArray(records)) throw invalidField(field, 'expected an array of records');
  if (records.length === 0) throw invalidField(field, 'must hold at least one record');
  if (records.length > maxBatch) throw batchTooLarge(field, records.length, maxBatch);
  return records;
}
