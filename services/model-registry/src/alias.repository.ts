// Postgres access for aliases (production, staging, shadow) and their history of moves.
import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mercato/db';
import { type ModelAlias } from '@mercato/contracts';
import type { PromotionDecision } from './promotion-policy';

export type AliasAction = 'promote' | 'rollback' | 'rejected' | 'retrain_failed';

export interface AliasHistoryRow {
  id: number;
  alias: ModelAlias;
  action: AliasAction;
  fromVersion: number | null;
  toVersion: number;
  actor: string;
  reason: string;
  decision: PromotionDecision | null;
  revertedBy: number | null;
  eventId: string;
  at: Date;
}

const HISTORY_COLUMNS = `id::int AS id, alias, action, from_version AS "fromVersion", to_version AS "toVersion",
  actor, reason, decision, reverted_by::int AS "revertedBy", event_id::text AS "eventId", at`;

@Injectable()
export class AliasRepository {
  constructor(private readonly db: Database) {}

  async get(
    modelId: string,
    alias: ModelAlias,
    q: Queryable = this.db.pool,
  ): Promise<{ version: number; updatedAt: Date } | undefined> {
    const { rows } = await q.query<{ version: number; updatedAt: Date }>(
      `SELECT version, updated_at AS "updatedAt" FROM aliases WHERE model_id = $1 AND alias = $2`,
      [modelId, alias],
    );
    return rows[0];
  }

  async all(modelId: string): Promise<Partial<Record<ModelAlias, number>>> {
    const { rows } = await this.db.pool.query<{ alias: ModelAlias; version: number }>(
      'SELECT alias, version FROM aliases WHERE model_id = $1 ORDER BY alias',
      [modelId],
    );
    return Object.fromEntries(rows.map((r) => [r.alias, r.version]));
  }

  async heldBy(modelId: string, version: number, q: Queryable = this.db.pool): Promise<ModelAlias[]> {
    const { rows } = await q.query<{ alias: ModelAlias }>(
      'SELECT alias FROM aliases WHERE model_id = $1 AND version = $2 ORDER BY alias',
      [modelId, version],
    );
    return rows.map((r) => r.alias);
  }

  async set(tx: Queryable, modelId: string, alias: ModelAlias, version: number): Promise<void> {
    await tx.query(
      `INSERT INTO aliases (model_id, alias, version) VALUES ($1, $2, $3)
       ON CONFLICT (model_id, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
      [modelId, alias, version],
    );
  }

  async record(
    tx: Queryable,
    entry: {
      modelId: string;
      alias: ModelAlias;
      action: AliasAction;
      fromVersion: number | null;
      toVersion: number;
      actor: string;
      reason: string;
      decision: PromotionDecision | null;
      eventId: string;
    },
  ): Promise<AliasHistoryRow> {
    const { rows } = await tx.query<AliasHistoryRow>(
      `INSERT INTO alias_history (model_id, alias, action, from_version, to_version, actor, reason, decision, event_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${HISTORY_COLUMNS}`,
      [
        entry.modelId,
        entry.alias,
        entry.action,
        entry.fromVersion,
        entry.toVersion,
        entry.actor,
        entry.reason,
        entry.decision,
        entry.eventId,
      ],
    );
    return rows[0];
  }

  /** The latest promotion of the alias that no rollback has undone yet (what a rollback undoes). */
  async lastPromotionInEffect(
    tx: Queryable,
    modelId: string,
    alias: ModelAlias,
  ): Promise<AliasHistoryRow | undefined> {
    const { rows } = await tx.query<AliasHistoryRow>(
      `SELECT ${HISTORY_COLUMNS} FROM alias_history
       WHERE model_id = $1 AND alias = $2 AND action = 'promote' AND reverted_by IS NULL
       ORDER BY id DESC LIMIT 1`,
      [modelId, alias],
    );
    return rows[0];
  }

  async markReverted(tx: Queryable, historyId: number, revertedBy: number): Promise<void> {
    await tx.query('UPDATE alias_history SET reverted_by = $2 WHERE id = $1', [historyId, revertedBy]);
  }

  /** Every decision about a version, on any alias, oldest first: promotions to it, refusals, rollbacks from it. */
  async decisionsFor(modelId: string, version: number): Promise<AliasHistoryRow[]> {
    const { rows } = await this.db.pool.query<AliasHistoryRow>(
      `SELECT ${HISTORY_COLUMNS} FROM alias_history
       WHERE model_id = $1 AND (to_version = $2 OR (action = 'rollback' AND from_version = $2))
       ORDER BY id`,
      [modelId, version],
    );
    return rows;
  }

  async history(
    modelId: string,
    alias: ModelAlias,
    limit: number,
    offset: number,
  ): Promise<AliasHistoryRow[]> {
    const { rows } = await this.db.pool.query<AliasHistoryRow>(
      `SELECT ${HISTORY_COLUMNS} FROM alias_history WHERE model_id = $1 AND alias = $2
       ORDER BY id DESC LIMIT $3 OFFSET $4`,
      [modelId, alias, limit, offset],
    );
    return rows;
  }
}
