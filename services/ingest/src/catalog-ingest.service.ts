// PUT /v1/catalog/items logic: validate each item and publish its full state to the compacted topic
// catalog.items.v1 (key: tenant and item id, catalogItemKey) before answering. The event id is derived
// from the item id and its content, so a retried update dedupes downstream while a real change gets a
// new id.
import { Topics, catalogItemKey, type CatalogItemSchema } from '@mercato/contracts';
import { SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { summarize, type BatchResult, type RecordResult } from './batch-result';
import { catalogItemSchema, type CatalogItemInput } from './catalog-item.dto';
import { batchNotStored } from './http-errors';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { type OutgoingRecord, uuidV8 } from '@mercato/kafka';
import { RawEventPublisher } from './raw-event.publisher';
import { echoId, instantFromDate, validateRecord } from './record-validation';

export function catalogEventId(tenantId: string, item: CatalogItemInput): string {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        item.title,
        item.description,
        item.categories,
        item.price,
        item.available,
        item.updated_at ? `${item.updated_at.seconds}.${item.updated_at.nanos}` : null,
      ]),
    )
    .digest('hex');
  return uuidV8('catalog.items.v1', [tenantId, item.item_id, digest]);
}

@Injectable()
export class CatalogIngestService {
  private readonly schema: ReturnType<typeof catalogItemSchema>;

  constructor(
    private readonly publisher: RawEventPublisher,
    @Inject(INGEST_SETTINGS) settings: IngestSettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.schema = catalogItemSchema({ maxFutureSkewS: settings.maxFutureSkewS, now: () => new Date() });
  }

  /** Records are stamped with the caller's tenant (from the credential, never from the body). */
  async ingest(tenantId: string, records: readonly unknown[]): Promise<BatchResult> {
    const results: RecordResult[] = [];
    const outgoing: OutgoingRecord<typeof CatalogItemSchema>[] = [];
    const seen = new Set<string>();
    const receivedAt = instantFromDate(new Date());
    records.forEach((record, index) => {
      const v = validateRecord(this.schema, record);
      if (!v.ok) {
        results.push({ index, id: echoId(record, 'item_id'), status: 'rejected', errors: v.errors });
        return;
      }
      const item = v.value;
      const eventId = catalogEventId(tenantId, item);
      if (seen.has(eventId)) {
        results.push({
          index,
          id: item.item_id,
          status: 'duplicate',
          reason: 'the same item state appears earlier in this batch',
        });
        return;
      }
      seen.add(eventId);
      results.push({ index, id: item.item_id, status: 'accepted' });
      const updatedAt = item.updated_at ?? receivedAt;
      outgoing.push({
        key: catalogItemKey(tenantId, item.item_id),
        eventId,
        tenantId,
        value: {
          tenantId,
          itemId: item.item_id,
          title: item.title,
          description: item.description,
          categories: item.categories,
          price: item.price,
          available: item.available,
          updatedAt: { seconds: updatedAt.seconds, nanos: updatedAt.nanos },
        },
      });
    });
    try {
      await this.publisher.publish(Topics.catalogItems, outgoing);
    } catch (err) {
      this.logger.error(
        { err: (err as Error).message, records: outgoing.length },
        'catalog batch not published; answered 503',
      );
      throw batchNotStored(
        'the batch could not be published (broker unavailable); nothing of it was accepted: send it again',
      );
    }
    return summarize('catalog', results);
  }
}
