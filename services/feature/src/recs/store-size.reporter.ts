// Keeps the mercato_feature_store_rows gauge current: every 30 s, the planner's row estimate of each
// recs table (cheap at any size, unlike count(*)). Estimates are -1 until a table was first analyzed.
import { Database } from '@mercato/db';
import { SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
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
export class StoreSizeReporter implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.refresh(), INTERVAL_MS);
    this.timer.unref();
    void this.refresh();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const rows = await this.db.query<{ relname: string; estimate: number }>(
        `SELECT c.relname, c.reltuples::float8 AS estimate FROM pg_class c
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY ($1::text[])`,
        [TABLES],
      );
      for (const r of rows) recsMetrics.storeRows.set({ table: r.relname }, r.estimate);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'feature store sizes not refreshed');
    }
  }
}
