// The store side of the interactions path (schema feature): in one transaction, append a batch to
// the interaction log idempotently, then update the online store (user features, item popularity)
// from exactly the interactions that append added. A redelivered or duplicated interaction adds no
// log row, so it changes no aggregate. Interactions of a user deleted after they were received are
// not stored again (user_deletions), so replaying the topic cannot bring a deleted user back.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { InteractionRow, InteractionTypeName } from './interaction-records';
import { MAX_HALF_LIVES, type HalfLives, type Popularity } from './popularity';
import type { RecentItem, UserState } from './user-features';

interface UserRow {
  tenant_id: string;
  user_id: string;
  recent_items: { item_id: string; type: InteractionTypeName; at: string }[];
  purchased_item_ids: string[];
  interaction_count: string;
  created_at: Date;
  updated_at: Date;
}

export const userFromRow = (r: UserRow): UserState => ({
  tenantId: r.tenant_id,
  userId: r.user_id,
  recentItems: r.recent_items.map((i) => ({ itemId: i.item_id, type: i.type, at: new Date(i.at) })),
  purchasedItemIds: r.purchased_item_ids,
  interactionCount: Number(r.interaction_count),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const recentJson = (items: readonly RecentItem[]) =>
  items.map((i) => ({ item_id: i.itemId, type: i.type, at: i.at.toISOString() }));

const APPEND = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
      tenant_id text, interaction_id text, user_id text, item_id text, type text, value float8,
      occurred_at timestamptz, received_at timestamptz, event_id text)
  )
  INSERT INTO interaction_log
    (tenant_id, interaction_id, user_id, item_id, type, value, occurred_at, received_at, event_id)
  SELECT i.tenant_id, i.interaction_id, i.user_id, i.item_id, i.type, i.value, i.occurred_at,
         i.received_at, i.event_id
  FROM input i
  WHERE NOT EXISTS (
    SELECT 1 FROM user_deletions d
    WHERE d.tenant_id = i.tenant_id AND d.user_id = i.user_id AND i.received_at <= d.deleted_at)
  ON CONFLICT (tenant_id, interaction_id) DO NOTHING
  RETURNING tenant_id, interaction_id`;

// Rows exist before they are locked, so two transactions touching a new user serialize on its row
// instead of both computing from nothing.
const ENSURE_USERS = `
  INSERT INTO user_features (tenant_id, user_id, recent_items, purchased_item_ids, interaction_count, updated_at)
  SELECT t, u, '[]'::jsonb, '{}', 0, now() FROM unnest($1::text[], $2::text[]) AS x(t, u)
  ORDER BY t, u
  ON CONFLICT (tenant_id, user_id) DO NOTHING`;

const LOCK_USERS = `
  SELECT * FROM user_features
  WHERE (tenant_id, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
  ORDER BY tenant_id, user_id
  FOR UPDATE`;

const WRITE_USERS = `
  UPDATE user_features f SET
    recent_items = i.recent_items, purchased_item_ids = i.purchased_item_ids,
    interaction_count = i.interaction_count, updated_at = i.updated_at
  FROM jsonb_to_recordset($1::jsonb) AS i(
    tenant_id text, user_id text, recent_items jsonb, purchased_item_ids text[],
    interaction_count bigint, updated_at timestamptz)
  WHERE f.tenant_id = i.tenant_id AND f.user_id = i.user_id`;

/** exp2(-elapsed / half-life), zero beyond MAX_HALF_LIVES (Postgres raises an error on underflow). */
const decay = (elapsed: string, halfLifeSeconds: string): string =>
  `(CASE WHEN ${elapsed} <= 0 THEN 1 WHEN ${elapsed} > ${MAX_HALF_LIVES} * ${halfLifeSeconds} THEN 0
     ELSE power(2::float8, -(${elapsed}) / ${halfLifeSeconds}) END)`;

const elapsedSince = (from: string, to: string): string => `extract(epoch FROM (${to} - ${from}))::float8`;

const REF = 'GREATEST(p.reference_at, EXCLUDED.reference_at)';

// The batch's contribution (already combined per item) is merged with the stored scores exactly as
// popularity.ts combine() does. Items are written in key order so concurrent batches of different
// partitions that touch the same items lock them in the same order.
const MERGE_POPULARITY = `
  INSERT INTO item_popularity AS p (tenant_id, item_id, popular_score, trending_score, reference_at)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
    tenant_id text, item_id text, popular_score float8, trending_score float8, reference_at timestamptz)
  ORDER BY tenant_id, item_id
  ON CONFLICT (tenant_id, item_id) DO UPDATE SET
    popular_score =
      p.popular_score * ${decay(elapsedSince('p.reference_at', REF), '$2::float8')}
      + EXCLUDED.popular_score * ${decay(elapsedSince('EXCLUDED.reference_at', REF), '$2::float8')},
    trending_score =
      p.trending_score * ${decay(elapsedSince('p.reference_at', REF), '$3::float8')}
      + EXCLUDED.trending_score * ${decay(elapsedSince('EXCLUDED.reference_at', REF), '$3::float8')},
    reference_at = ${REF}`;

const SELECT_USERS = `
  SELECT * FROM user_features
  WHERE (tenant_id, user_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

export interface BatchUpdate {
  /** The new state of each user with newly stored interactions. */
  users: UserState[];
  /** The popularity the newly stored interactions add, per (tenant, item). */
  popularity: { tenantId: string; itemId: string; score: Popularity }[];
}

const keyOf = (tenantId: string, id: string): string => `${tenantId}\u0000${id}`;

@Injectable()
export class InteractionStoreRepository {
  constructor(private readonly db: Database) {}

  /**
   * Appends the interactions not stored yet and applies `update` (given the stored ones and the
   * locked current state of their users) to the online store, all in one transaction. Returns the
   * newly stored interactions and the users' states as committed.
   */
  async record(
    rows: readonly InteractionRow[],
    halfLives: HalfLives,
    update: (stored: InteractionRow[], users: Map<string, UserState>) => BatchUpdate,
  ): Promise<{ stored: InteractionRow[]; users: UserState[] }> {
    if (rows.length === 0) return { stored: [], users: [] };
    return this.db.transaction(async (client) => {
      const appended = await client.query<{ tenant_id: string; interaction_id: string }>(APPEND, [
        JSON.stringify(
          rows.map((r) => ({
            tenant_id: r.tenantId,
            interaction_id: r.interactionId,
            user_id: r.userId,
            item_id: r.itemId,
            type: r.type,
            value: r.value,
            occurred_at: r.occurredAt.toISOString(),
            received_at: r.receivedAt.toISOString(),
            event_id: r.eventId,
          })),
        ),
      ]);
      const added = new Set(appended.rows.map((r) => keyOf(r.tenant_id, r.interaction_id)));
      const stored = rows.filter((r) => added.has(keyOf(r.tenantId, r.interactionId)));
      if (stored.length === 0) return { stored, users: [] };
      const users = await this.lockUsers(client, stored);
      const result = update(stored, users);
      await this.writeUsers(client, result.users);
      await this.mergePopularity(client, result.popularity, halfLives);
      return { stored, users: result.users };
    });
  }

  /** The current state of the given users; users without features are absent. */
  async findUsers(keys: readonly { tenantId: string; userId: string }[]): Promise<UserState[]> {
    if (keys.length === 0) return [];
    const rows = await this.db.query<UserRow>(SELECT_USERS, [
      keys.map((k) => k.tenantId),
      keys.map((k) => k.userId),
    ]);
    return rows.map(userFromRow);
  }

  private async lockUsers(
    client: PoolClient,
    stored: readonly InteractionRow[],
  ): Promise<Map<string, UserState>> {
    const keys = new Map<string, { tenantId: string; userId: string }>();
    for (const r of stored) keys.set(keyOf(r.tenantId, r.userId), { tenantId: r.tenantId, userId: r.userId });
    const tenants = [...keys.values()].map((k) => k.tenantId);
    const ids = [...keys.values()].map((k) => k.userId);
    await client.query(ENSURE_USERS, [tenants, ids]);
    const { rows } = await client.query<UserRow>(LOCK_USERS, [tenants, ids]);
    return new Map(rows.map((r) => [keyOf(r.tenant_id, r.user_id), userFromRow(r)]));
  }

  private async writeUsers(client: PoolClient, users: readonly UserState[]): Promise<void> {
    if (users.length === 0) return;
    await client.query(WRITE_USERS, [
      JSON.stringify(
        users.map((u) => ({
          tenant_id: u.tenantId,
          user_id: u.userId,
          recent_items: recentJson(u.recentItems),
          purchased_item_ids: u.purchasedItemIds,
          interaction_count: u.interactionCount,
          updated_at: u.updatedAt.toISOString(),
        })),
      ),
    ]);
  }

  private async mergePopularity(
    client: PoolClient,
    items: BatchUpdate['popularity'],
    h: HalfLives,
  ): Promise<void> {
    if (items.length === 0) return;
    await client.query(MERGE_POPULARITY, [
      JSON.stringify(
        items.map((i) => ({
          tenant_id: i.tenantId,
          item_id: i.itemId,
          popular_score: i.score.popular,
          trending_score: i.score.trending,
          reference_at: new Date(i.score.referenceMs).toISOString(),
        })),
      ),
      h.popularMs / 1000,
      h.trendingMs / 1000,
    ]);
  }
}
