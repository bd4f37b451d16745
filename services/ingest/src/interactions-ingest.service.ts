// POST /v1/interactions logic: validate each interaction, replace the user id with its keyed
// pseudonym at once (the raw id goes nowhere: not to the topic, a table, a log line or a span), and
// publish to interactions.raw.v1 keyed by the pseudonym before answering. The event id is derived
// from (pseudonym, item, type, time), so a client's retry of the same interaction dedupes downstream.
import { InteractionType, Topics, type InteractionSchema } from '@mercato/contracts';
import { SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { summarize, type BatchResult, type RecordResult } from './batch-result';
import { batchNotStored } from './http-errors';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { interactionSchema, type InteractionTypeName } from './interaction.dto';
import { Pseudonymizer } from '@mercato/privacy';
import { type OutgoingRecord, uuidV8 } from '@mercato/kafka';
import { RawEventPublisher } from './raw-event.publisher';
import { instantFromDate, validateRecord, type Instant } from './record-validation';

const TYPES: Record<InteractionTypeName, InteractionType> = {
  view: InteractionType.VIEW,
  click: InteractionType.CLICK,
  cart: InteractionType.CART,
  purchase: InteractionType.PURCHASE,
  rating: InteractionType.RATING,
};

export const interactionEventId = (
  tenantId: string,
  pseudonym: string,
  itemId: string,
  type: InteractionTypeName,
  at: Instant,
): string => uuidV8('interactions.raw.v1', [tenantId, pseudonym, itemId, type, `${at.seconds}.${at.nanos}`]);

@Injectable()
export class InteractionsIngestService {
  private readonly schema: ReturnType<typeof interactionSchema>;

  constructor(
    private readonly publisher: RawEventPublisher,
    private readonly pseudonymizer: Pseudonymizer,
    @Inject(INGEST_SETTINGS) settings: IngestSettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.schema = interactionSchema({ maxFutureSkewS: settings.maxFutureSkewS, now: () => new Date() });
  }

  /** Records are stamped with the caller's tenant (from the credential, never from the body). */
  async ingest(tenantId: string, records: readonly unknown[]): Promise<BatchResult> {
    const results: RecordResult[] = [];
    const outgoing: OutgoingRecord<typeof InteractionSchema>[] = [];
    const seen = new Set<string>();
    const receivedAt = instantFromDate(new Date());
    records.forEach((record, index) => {
      const v = validateRecord(this.schema, record);
      // A rejected record's id is not echoed: it could only be the raw user id or the item id.
      if (!v.ok) {
        results.push({ index, id: null, status: 'rejected', errors: v.errors });
        return;
      }
      const { user_id: rawUserId, item_id: itemId, type, value, timestamp } = v.value;
      const pseudonym = this.pseudonymizer.pseudonym(tenantId, rawUserId);
      const eventId = interactionEventId(tenantId, pseudonym, itemId, type, timestamp);
      if (seen.has(eventId)) {
        results.push({
          index,
          id: eventId,
          status: 'duplicate',
          reason: 'the same interaction appears earlier in this batch',
        });
        return;
      }
      seen.add(eventId);
      results.push({ index, id: eventId, status: 'accepted' });
      outgoing.push({
        key: pseudonym,
        eventId,
        tenantId,
        value: {
          tenantId,
          interactionId: eventId,
          userId: pseudonym,
          itemId,
          type: TYPES[type],
          value,
          occurredAt: { seconds: timestamp.seconds, nanos: timestamp.nanos },
          receivedAt: { seconds: receivedAt.seconds, nanos: receivedAt.nanos },
        },
      });
    });
    try {
      await this.publisher.publish(Topics.interactionsRaw, outgoing);
    } catch (err) {
      this.logger.error(
        { err: (err as Error).message, records: outgoing.length },
        'interactions batch not published; answered 503',
      );
      throw batchNotStored(
        'the batch could not be published (broker unavailable); nothing of it was accepted: send it again',
      );
    }
    return summarize('interactions', results);
  }
}
