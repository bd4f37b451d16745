// Deterministic event ids: the same record sent twice (a client retry, a replay) gets the same
// `event-id` header, so consumers that dedupe on it see it once. Name-based UUIDs as RFC 9562
// describes them, with SHA-256 as the hash (version 8, "custom"; v5 would mean SHA-1).
import { createHash } from 'node:crypto';

/** A UUID derived from a namespace and a list of parts (JSON-encoded, so part boundaries are unambiguous). */
export function deterministicUuid(namespace: string, parts: readonly (string | number)[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([namespace, ...parts]), 'utf8')
    .digest();
  const b = digest.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x80;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
