// Postgres access for models: creation, lookup, listing with aliases, and the locks that serialize
// version numbering and alias moves per model. A model belongs to one tenant: every lookup is by
// (tenant, name), so another tenant's model of the same name is invisible.
import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mercato/db';
import { type ModelAlias, type ModelKindName } from '@mercato/contracts';

export interface ModelRow {
  id: string;
  name: string;
  kind: ModelKindName;
  tenantId: string;
  description: string;
  latestVersion: number;
  createdAt: Date;
}

export interface ModelListRow extends ModelRow {
  aliases: Partial<Record<ModelAlias, number>>;
}

const COLUMNS = `m.id::text AS id, m.name, m.kind, m.tenant_id AS "tenantId", m.description,
  m.latest_version AS "latestVersion", m.created_at AS "createdAt"`;

@Injectable()
export class ModelRepository {
  constructor(private readonly db: Database) {}

  /** The new model, or undefined when the name is taken. */
  async create(
    input: { name: string; kind: ModelKindName; description: string; tenantId: string },
    q: Queryable = this.db.pool,
  ): Promise<ModelRow | undefined> {
    const { rows } = await q.query<ModelRow>(
      `INSERT INTO models AS m (name, kind, description, tenant_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, name) DO NOTHING RETURNING ${COLUMNS}`,
      [input.name, input.kind, input.description, input.tenantId],
    );
    return rows[0];
  }

  async findByName(
    tenantId: string,
    name: string,
    q: Queryable = this.db.pool,
  ): Promise<ModelRow | undefined> {
    const { rows } = await q.query<ModelRow>(
      `SELECT ${COLUMNS} FROM models m WHERE m.tenant_id = $1 AND m.name = $2`,
      [tenantId, name],
    );
    return rows[0];
  }

  /**
   * Locks the model row for the rest of the transaction, serializing registrations of the model
   * (the version number is read and bumped under this lock). NO KEY UPDATE does not block the
   * foreign-key checks of concurrent alias moves.
   */
  async lockForRegistration(tx: Queryable, tenantId: string, name: string): Promise<ModelRow | undefined> {
    const { rows } = await tx.query<ModelRow>(
      `SELECT ${COLUMNS} FROM models m WHERE m.tenant_id = $1 AND m.name = $2 FOR NO KEY UPDATE`,
      [tenantId, name],
    );
    return rows[0];
  }

  async setLatestVersion(tx: Queryable, modelId: string, version: number): Promise<void> {
    await tx.query('UPDATE models SET latest_version = $2 WHERE id = $1', [modelId, version]);
  }

  /** Serializes alias moves and archiving of one model until the transaction ends. */
  async lockAliases(tx: Queryable, modelId: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('model_registry.aliases:' || $1, 0))`, [
      modelId,
    ]);
  }

  async list(
    tenantId: string,
    filter: { kind?: ModelKindName; limit: number; offset: number },
  ): Promise<ModelListRow[]> {
    const { rows } = await this.db.pool.query<ModelListRow>(
      `SELECT ${COLUMNS},
         coalesce((SELECT jsonb_object_agg(a.alias, a.version) FROM aliases a WHERE a.model_id = m.id), '{}') AS aliases
       FROM models m
       WHERE m.tenant_id = $4 AND ($1::text IS NULL OR m.kind = $1)
       ORDER BY m.name LIMIT $2 OFFSET $3`,
      [filter.kind ?? null, filter.limit, filter.offset, tenantId],
    );
    return rows;
  }
}
