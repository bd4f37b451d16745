// The enriched record's event id is a name-based UUID (RFC 4122 version 5) of the raw record's
// event id: every redelivery of a raw record yields the same enriched event id, so consumers of
// news.enriched.v1 dedupe a re-publication like any other redelivery.
import { createHash } from 'node:crypto';

/** Namespace of enriched-article event ids (a fixed random UUID; changing it changes every id). */
export const ENRICHED_EVENT_NAMESPACE = '6b0f4c52-2f0e-4d4e-9a51-93c6a1e7d5b8';

export function uuidV5(namespace: string, name: string): string {
  const digest = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  digest[6] = ((digest[6] as number) & 0x0f) | 0x50;
  digest[8] = ((digest[8] as number) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const enrichedEventId = (rawEventId: string): string => uuidV5(ENRICHED_EVENT_NAMESPACE, rawEventId);
