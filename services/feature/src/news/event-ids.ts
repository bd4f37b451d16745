// The enriched record's event id is a name-based UUID (RFC 4122 version 5) of the raw record's
// event id: every redelivery of a raw record yields the same enriched event id, so consumers of
// news.enriched.v1 dedupe a re-publication like any other redelivery.
import { uuidV5 } from '@mercato/kafka';

/** Namespace of enriched-article event ids (a fixed random UUID; changing it changes every id). */
export const ENRICHED_EVENT_NAMESPACE = '6b0f4c52-2f0e-4d4e-9a51-93c6a1e7d5b8';

export const enrichedEventId = (rawEventId: string): string => uuidV5(ENRICHED_EVENT_NAMESPACE, rawEventId);
