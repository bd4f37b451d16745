// The store side of the catalog path (schema feature): every version of every item in the offline
// store (idempotent by tenant, item and updated_at), and the current version of each item with its
// text features in the online store. A version older than the stored one (a late or redelivered
// record) is logged but does not replace the current one.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';
import type { CatalogItemRow } from './interaction-records';

export interface ItemVersion extends CatalogItemRow {
  titleTokens: string[];
  descriptionTokens: string[];
}

const APPEND_VERSIONS = `
  INSERT INTO catalog_item_versions
    (tenant_id, item_id, updated_at, title, description, categories, price, available, received_at, event_id)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
    tenant_id text, item_id text, updated_at timestamptz, title text, description text,
    categories text[], price float8, available boolean, received_at timestamptz, event_id text)
  ON CONFLICT (tenant_id, item_id, updated_at) DO NOTHING
  RETURNING tenant_id, item_id`;

const UPSERT_CURRENT = `
  INSERT INTO item_features AS f
    (tenant_id, item_id, updated_at, title, description, title_tokens, description_tokens, categories,
     price, available)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
    tenant_id text, item_id text, updated_at timestamptz, title text, description text,
    title_tokens text[], description_tokens text[], categories text[], price float8, available boolean)
  ORDER BY tenant_id, item_id
  ON CONFLICT (tenant_id, item_id) DO UPDATE SET
    updated_at = EXCLUDED.updated_at, title = EXCLUDED.title, description = EXCLUDED.description,
    title_tokens = EXCLUDED.title_tokens, description_tokens = EXCLUDED.description_tokens,
    categories = EXCLUDED.categories, price = EXCLUDED.price, available = EXCLUDED.available
  WHERE f.updated_at <= EXCLUDED.updated_at`;

const keyOf = (v: { tenantId: string; itemId: string }): string => `${v.tenantId}\u0000${v.itemId}`;

@Injectable()
export class CatalogStoreRepository {
  constructor(private readonly db: Database) {}

  /** Stores the versions; returns how many were new to the offline store. */
  async record(versions: readonly ItemVersion[]): Promise<number> {
    if (versions.length === 0) return 0;
    // One row per item for the upsert (Postgres refuses to update a row twice in one statement).
    const latest = new Map<string, ItemVersion>();
    for (const v of versions) {
      const seen = latest.get(keyOf(v));
      if (!seen || seen.updatedAt <= v.updatedAt) latest.set(keyOf(v), v);
    }
    return this.db.transaction(async (client) => {
      const appended = await client.query(APPEND_VERSIONS, [
        JSON.stringify(
          versions.map((v) => ({
            tenant_id: v.tenantId,
            item_id: v.itemId,
            updated_at: v.updatedAt.toISOString(),
            title: v.title,
            description: v.description,
            categories: v.categories,
            price: v.price,
            available: v.available,
            received_at: v.receivedAt.toISOString(),
            event_id: v.eventId,
          })),
        ),
      ]);
      await client.query(UPSERT_CURRENT, [
        JSON.stringify(
          [...latest.values()].map((v) => ({
            tenant_id: v.tenantId,
            item_id: v.itemId,
            updated_at: v.updatedAt.toISOString(),
            title: v.title,
            description: v.description,
            title_tokens: v.titleTokens,
            description_tokens: v.descriptionTokens,
            categories: v.categories,
            price: v.price,
            available: v.available,
          })),
        ),
      ]);
      return appended.rowCount ?? 0;
    });
  }
}
