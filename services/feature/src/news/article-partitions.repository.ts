// Daily partitions of the article log (feature.article_features), created on demand before a batch
// is written. Days within the window [today − ARTICLE_PARTITION_PAST_DAYS, today + 2] (UTC) get a
// partition of their own; anything else stays in the default partition, so a stream of absurd dates
// cannot create thousands of partitions. Creating a day moves that day's rows out of the default
// partition first (Postgres refuses a new partition whose rows sit in the default one), all in one
// transaction under an advisory lock, so replicas never race on the same DDL.
import { Database } from '@mercato/db';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { FeatureConfig } from '../feature.config';

const DAY_MS = 24 * 60 * 60 * 1000;
const FUTURE_DAYS = 2;
/** Advisory lock key of partition DDL on the article log ('artp' in ASCII). */
const PARTITION_LOCK = 0x61727470;

/** 'YYYYMMDD' of a time's UTC day. */
export const dayKey = (time: Date): string => time.toISOString().slice(0, 10).replace(/-/g, '');

/** The UTC days a daily partition should exist for, out of some publication times. */
export function partitionDays(times: readonly Date[], now: Date, pastDays: number): string[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const first = today - pastDays * DAY_MS;
  const last = today + FUTURE_DAYS * DAY_MS;
  const days = new Set<string>();
  for (const time of times) {
    const day = Math.floor(time.getTime() / DAY_MS) * DAY_MS;
    if (day >= first && day <= last) days.add(dayKey(new Date(day)));
  }
  return [...days].sort();
}

@Injectable()
export class ArticlePartitionsRepository {
  /** Days known to have a partition; only grows (partitions are never dropped by this service). */
  private readonly known = new Set<string>();

  constructor(
    private readonly db: Database,
    @Inject(SERVICE_CONFIG) private readonly config: FeatureConfig,
  ) {}

  async ensureFor(publishedAt: readonly Date[]): Promise<void> {
    for (const day of partitionDays(publishedAt, new Date(), this.config.ARTICLE_PARTITION_PAST_DAYS)) {
      if (this.known.has(day)) continue;
      await this.create(day);
      this.known.add(day);
    }
  }

  private async create(day: string): Promise<void> {
    const from = new Date(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T00:00:00Z`);
    const to = new Date(from.getTime() + DAY_MS);
    const table = `article_features_p${day}`;
    await this.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      const { rows } = await client.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [
        table,
      ]);
      if (rows[0]?.found) return;
      // Bounds are DDL, not parameters; they come from a Date, never from input text.
      await client.query(
        `CREATE TABLE ${table} (LIKE article_features INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
      );
      await client.query(
        `WITH moved AS (
           DELETE FROM article_features_default WHERE published_at >= $1 AND published_at < $2 RETURNING *
         )
         INSERT INTO ${table} SELECT * FROM moved`,
        [from, to],
      );
      await client.query(
        `ALTER TABLE article_features ATTACH PARTITION ${table}
           FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
      );
    });
  }
}
