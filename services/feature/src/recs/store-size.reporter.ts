// Keeps the mercato_feature_store_rows gauge current: every 30 s, the planner's row estimate of each
// recs table (cheap at any size, unlike count(*)). Estimates are -1 until a table was first analyzed.
import { Database } from '@mercato/db';
import { PolledWork, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { recsMetrics } from './recs-metrics';

const TABLES = [
  'interaction_log',
  'catalog_item_versions',
  'user_features',
  'item_popularity',
  'item_features',
  'user_deletions',
];
const INTERVAL_MS = 30_000;

@Injectable()
export class StoreSizeReporter extends PolledWork {
  constructor(
    private readonly db: Database,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    super({ what: 'feature store size refresh', intervalMs: INTERVAL_MS, maxBackoffMs: INTERVAL_MS, logger });
  }

  protected async step(): Promise<boolean> {
    const rows = await this.db.query<{ relname: string; estimate: number }>(
      `SELECT c.relname, c.reltuples::float8 AS estimate FROM pg_class c
       WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY ($1::text[])`,
      [TABLES],
    );
    for (const r of rows) recsMetrics.storeRows.set({ table: r.relname }, r.estimate);
    return false;
  }
}
