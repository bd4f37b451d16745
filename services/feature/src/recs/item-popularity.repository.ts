// Reads of item popularity (schema feature): the available items ranked by their score decayed to
// a given instant, optionally in one category. Decay is computed here at read time from the stored
// score and reference time (see popularity.ts), never by a background job.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';
import { MAX_HALF_LIVES } from './popularity';

export type PopularityKind = 'popular' | 'trending';

export interface PopularItem {
  itemId: string;
  score: number;
  categories: string[];
}

// The score column is chosen from a fixed pair, never from input.
const COLUMN: Record<PopularityKind, string> = { popular: 'popular_score', trending: 'trending_score' };

const query = (kind: PopularityKind): string => `
  SELECT item_id, categories, score FROM (
    SELECT p.item_id, f.categories,
      p.${COLUMN[kind]} * CASE
        WHEN e.elapsed <= 0 THEN 1
        WHEN e.elapsed > ${MAX_HALF_LIVES} * $4::float8 THEN 0
        ELSE power(2::float8, -e.elapsed / $4::float8) END AS score
    FROM item_popularity p
    JOIN item_features f ON f.tenant_id = p.tenant_id AND f.item_id = p.item_id
    CROSS JOIN LATERAL (SELECT extract(epoch FROM ($3::timestamptz - p.reference_at))::float8 AS elapsed) e
    WHERE p.tenant_id = $1 AND f.available AND ($2::text IS NULL OR $2::text = ANY (f.categories))
  ) ranked
  WHERE score > 0
  ORDER BY score DESC, item_id
  LIMIT $5`;

@Injectable()
export class ItemPopularityRepository {
  constructor(private readonly db: Database) {}

  async top(
    tenantId: string,
    kind: PopularityKind,
    opts: { category: string | undefined; asOf: Date; halfLifeSeconds: number; limit: number },
  ): Promise<PopularItem[]> {
    const rows = await this.db.query<{ item_id: string; categories: string[]; score: number }>(query(kind), [
      tenantId,
      opts.category ?? null,
      opts.asOf.toISOString(),
      opts.halfLifeSeconds,
      opts.limit,
    ]);
    return rows.map((r) => ({ itemId: r.item_id, score: r.score, categories: r.categories }));
  }
}
