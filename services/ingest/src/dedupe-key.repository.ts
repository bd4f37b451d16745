// Article dedupe keys in Postgres (schema `ingest`): (source, article id) and content hash per tenant.
// Keys are claimed in a transaction that stays open while the caller publishes, and committed only
// after the publish was acknowledged: a concurrent request with the same key waits on the row lock
// and then sees it as a duplicate, and a failed publish rolls the claim back as if it never happened.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';

export interface ArticleKey {
  source: string;
  articleId: string;
  contentHash: string;
}

/** The keys this transaction holds: new ones, or ones last seen before the window began. */
export interface ClaimedKeys {
  ids: Set<string>;
  contents: Set<string>;
}

/** One string per (source, article id), unambiguous whatever the two contain. */
export const idKey = (source: string, articleId: string): string => JSON.stringify([source, articleId]);

// One statement per batch. A conflicting key is taken over only when it is older than the window
// (DO UPDATE … WHERE), so RETURNING lists exactly the keys that were free; a key that another open
// transaction holds makes this one wait until that transaction commits (seen) or rolls back (free).
// Sorted input keeps the lock order the same in every transaction, so two batches cannot deadlock.
const CLAIM = `
WITH ids AS (
  INSERT INTO article_keys (tenant_id, source, article_id, seen_at)
  SELECT $1, k.source, k.article_id, now()
  FROM unnest($2::text[], $3::text[]) AS k(source, article_id)
  ORDER BY k.source, k.article_id
  ON CONFLICT (tenant_id, source, article_id) DO UPDATE SET seen_at = EXCLUDED.seen_at
    WHERE article_keys.seen_at < now() - make_interval(hours => $5::int)
  RETURNING source, article_id
), contents AS (
  INSERT INTO content_keys (tenant_id, content_hash, seen_at)
  SELECT $1, h, now() FROM unnest($4::text[]) AS h
  ORDER BY h
  ON CONFLICT (tenant_id, content_hash) DO UPDATE SET seen_at = EXCLUDED.seen_at
    WHERE content_keys.seen_at < now() - make_interval(hours => $5::int)
  RETURNING content_hash
)
SELECT source, article_id, NULL::text AS content_hash FROM ids
UNION ALL
SELECT NULL, NULL, content_hash FROM contents`;

// Keys claimed for records that were not published after all (a duplicate by its other key).
const RELEASE = `
WITH ids AS (
  DELETE FROM article_keys a
  USING unnest($2::text[], $3::text[]) AS k(source, article_id)
  WHERE a.tenant_id = $1 AND a.source = k.source AND a.article_id = k.article_id
), contents AS (
  DELETE FROM content_keys WHERE tenant_id = $1 AND content_hash = ANY($4::text[])
)
SELECT 1`;

const CLEANUP_CHUNK = 10_000;

@Injectable()
export class DedupeKeyRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims the keys, runs `work` (which publishes) and commits the keys it reports as used; keys it
   * did not use are released. When `work` throws, nothing is kept.
   */
  async withClaimedKeys<T>(
    tenantId: string,
    keys: readonly ArticleKey[],
    windowHours: number,
    work: (claimed: ClaimedKeys) => Promise<{ used: readonly ArticleKey[]; result: T }>,
  ): Promise<T> {
    const ids = new Map<string, [string, string]>();
    const hashes = new Set<string>();
    for (const k of keys) {
      ids.set(idKey(k.source, k.articleId), [k.source, k.articleId]);
      hashes.add(k.contentHash);
    }
    return this.db.transaction(async (client) => {
      const rows = (
        await client.query<{ source: string | null; article_id: string | null; content_hash: string | null }>(
          CLAIM,
          [
            tenantId,
            [...ids.values()].map(([s]) => s),
            [...ids.values()].map(([, a]) => a),
            [...hashes],
            windowHours,
          ],
        )
      ).rows;
      const claimed: ClaimedKeys = { ids: new Set(), contents: new Set() };
      for (const r of rows) {
        if (r.content_hash !== null) claimed.contents.add(r.content_hash);
        else claimed.ids.add(idKey(r.source as string, r.article_id as string));
      }
      const { used, result } = await work(claimed);
      const usedIds = new Set(used.map((k) => idKey(k.source, k.articleId)));
      const usedHashes = new Set(used.map((k) => k.contentHash));
      const unusedIds = [...claimed.ids]
        .filter((k) => !usedIds.has(k))
        .map((k) => ids.get(k) as [string, string]);
      const unusedHashes = [...claimed.contents].filter((h) => !usedHashes.has(h));
      if (unusedIds.length > 0 || unusedHashes.length > 0) {
        await client.query(RELEASE, [
          tenantId,
          unusedIds.map(([s]) => s),
          unusedIds.map(([, a]) => a),
          unusedHashes,
        ]);
      }
      return result;
    });
  }

  /** Deletes keys last seen before the window began, in chunks so no statement holds locks for long. */
  async deleteOlderThan(windowHours: number): Promise<number> {
    let total = 0;
    for (const table of ['article_keys', 'content_keys'] as const) {
      for (;;) {
        const rows = await this.db.query<{ n: string }>(
          `WITH gone AS (
             DELETE FROM ${table} WHERE ctid IN (
               SELECT ctid FROM ${table} WHERE seen_at < now() - make_interval(hours => $1::int) LIMIT $2)
             RETURNING 1)
           SELECT count(*) AS n FROM gone`,
          [windowHours, CLEANUP_CHUNK],
        );
        const n = Number(rows[0]?.n ?? 0);
        total += n;
        if (n < CLEANUP_CHUNK) break;
      }
    }
    return total;
  }
}
