// Event ids derived from what a record is, so the same record published again (a client retry, a
// redelivery, a batch redone after a crash) carries the same `event-id` header and consumers dedupe
// it. One derivation, name-based UUIDs (RFC 9562), in two versions that differ only in the hash: the
// ids already on the topics and in the stores were made with both, and an id that changed would
// make consumers take a redelivered record for a new one.
// - uuidV5(namespace, name): version 5, SHA-1 of a namespace UUID and a name (feature's enriched
//   articles, scoring's scored articles, the monitor's alerts);
// - uuidV8(namespace, parts): version 8 ("custom"), SHA-256 of the JSON array [namespace, ...parts],
//   which keeps part boundaries unambiguous (ingest's raw records).
import { createHash } from 'node:crypto';

function formatUuid(digest: Buffer, version: 5 | 8): string {
  const b = digest.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | (version << 4);
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** RFC 9562 version 5: SHA-1 of the namespace UUID's bytes and the name. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error(`namespace "${namespace}" is not a UUID`);
  return formatUuid(createHash('sha1').update(ns).update(name, 'utf8').digest(), 5);
}

/** RFC 9562 version 8: SHA-256 of `[namespace, ...parts]` as JSON. */
export function uuidV8(namespace: string, parts: readonly (string | number)[]): string {
  return formatUuid(
    createHash('sha256')
      .update(JSON.stringify([namespace, ...parts]), 'utf8')
      .digest(),
    8,
  );
}
