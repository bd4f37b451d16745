// The catalog path: a batch of catalog.items.v1 records → validated → text features → every
// version into the offline store, the newest into the online item features.
import type { CatalogItem } from '@mercato/contracts';
import type { DecodedRecord } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { FeatureConfig } from '../feature.config';
import { CatalogStoreRepository } from './catalog-store.repository';
import { catalogItemRow, itemTextTokens } from './interaction-records';
import { recsMetrics } from './recs-metrics';

@Injectable()
export class CatalogService {
  constructor(
    private readonly store: CatalogStoreRepository,
    @Inject(SERVICE_CONFIG) private readonly config: FeatureConfig,
  ) {}

  /** Throws NonRetriableError for an invalid record before anything is written (see InteractionsService). */
  async recordBatch(records: readonly DecodedRecord<CatalogItem>[]): Promise<void> {
    const versions = records.map(({ value, record }) => {
      const row = catalogItemRow(value, record, this.config.TENANT_ID);
      return { ...row, ...itemTextTokens(row) };
    });
    const stored = await this.store.record(versions);
    recsMetrics.catalogVersions.inc({ result: 'stored' }, stored);
    recsMetrics.catalogVersions.inc({ result: 'duplicate' }, versions.length - stored);
  }
}
