// Postgres access for versions and their artifact files (bytes in bytea, each with its SHA-256).
// The only code that reads or writes artifact bytes.
import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mercato/db';
import type { ArtifactRole } from './artifact-bundle';

export type VersionStatus = 'registered' | 'archived';

export interface VersionRow {
  id: string;
  version: number;
  status: VersionStatus;
  metrics: Record<string, number>;
  lineage: Record<string, unknown>;
  idempotencyKey: string;
  createdAt: Date;
  archivedAt: Date | null;
  fileCount: number;
  totalBytes: number;
  signature: VersionSignature | null;
}

export interface VersionSignature {
  algorithm: 'ed25519';
  keyId: string;
  value: string;
}

export interface ArtifactRow {
  path: string;
  role: ArtifactRole;
  sha256: string;
  size: number;
}

export interface NewArtifact {
  path: string;
  role: ArtifactRole;
  sha256: string;
  size: number;
  contentBase64: string;
}

const COLUMNS = `v.id::text AS id, v.version, v.status, v.metrics, v.lineage,
  v.idempotency_key AS "idempotencyKey", v.signature, v.created_at AS "createdAt", v.archived_at AS "archivedAt",
  (SELECT count(*)::int FROM artifacts a WHERE a.version_id = v.id) AS "fileCount",
  (SELECT coalesce(sum(a.size_bytes), 0)::float8 FROM artifacts a WHERE a.version_id = v.id) AS "totalBytes"`;

@Injectable()
export class ModelVersionRepository {
  constructor(private readonly db: Database) {}

  async findByIdempotencyKey(
    tx: Queryable,
    modelId: string,
    key: string,
  ): Promise<{ version: number; requestDigest: string } | undefined> {
    const { rows } = await tx.query<{ version: number; requestDigest: string }>(
      `SELECT version, request_digest AS "requestDigest" FROM versions WHERE model_id = $1 AND idempotency_key = $2`,
      [modelId, key],
    );
    return rows[0];
  }

  async insert(
    tx: Queryable,
    v: {
      modelId: string;
      version: number;
      metrics: Record<string, number>;
      lineage: Record<string, unknown>;
      idempotencyKey: string;
      requestDigest: string;
      signature: VersionSignature | null;
    },
  ): Promise<string> {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO versions (model_id, version, metrics, lineage, idempotency_key, request_digest, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text AS id`,
      [v.modelId, v.version, v.metrics, v.lineage, v.idempotencyKey, v.requestDigest, v.signature],
    );
    return rows[0].id;
  }

  /**
   * Stores one file. Postgres decodes the base64 itself (no hex copy of the bytes in this process)
   * and hashes what it stored; a hash that differs from the one computed on upload aborts the
   * transaction.
   */
  async insertArtifact(tx: Queryable, versionId: string, file: NewArtifact): Promise<void> {
    const { rows } = await tx.query<{ stored: string }>(
      `INSERT INTO artifacts (version_id, path, role, sha256, size_bytes, content)
       VALUES ($1, $2, $3, $4, $5, decode($6, 'base64'))
       RETURNING encode(sha256(content), 'hex') AS stored`,
      [versionId, file.path, file.role, file.sha256, file.size, file.contentBase64],
    );
    if (rows[0].stored !== file.sha256) {
      throw new Error(`stored bytes of ${file.path} hash to ${rows[0].stored}, expected ${file.sha256}`);
    }
  }

  async find(modelId: string, version: number, q: Queryable = this.db.pool): Promise<VersionRow | undefined> {
    const { rows } = await q.query<VersionRow>(
      `SELECT ${COLUMNS} FROM versions v WHERE v.model_id = $1 AND v.version = $2`,
      [modelId, version],
    );
    return rows[0];
  }

  async list(modelId: string, limit: number, offset: number): Promise<VersionRow[]> {
    const { rows } = await this.db.pool.query<VersionRow>(
      `SELECT ${COLUMNS} FROM versions v WHERE v.model_id = $1 ORDER BY v.version DESC LIMIT $2 OFFSET $3`,
      [modelId, limit, offset],
    );
    return rows;
  }

  async files(versionId: string): Promise<ArtifactRow[]> {
    const { rows } = await this.db.pool.query<ArtifactRow>(
      `SELECT path, role, sha256, size_bytes::float8 AS size FROM artifacts WHERE version_id = $1 ORDER BY path`,
      [versionId],
    );
    return rows;
  }

  async readFile(versionId: string, path: string): Promise<(ArtifactRow & { content: Buffer }) | undefined> {
    const { rows } = await this.db.pool.query<ArtifactRow & { content: Buffer }>(
      `SELECT path, role, sha256, size_bytes::float8 AS size, content FROM artifacts WHERE version_id = $1 AND path = $2`,
      [versionId, path],
    );
    return rows[0];
  }

  async existsByName(
    tenantId: string,
    model: string,
    version: number,
    q: Queryable = this.db.pool,
  ): Promise<boolean> {
    const { rows } = await q.query(
      `SELECT 1 FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = $1 AND v.version = $2 AND m.tenant_id = $3`,
      [model, version, tenantId],
    );
    return rows.length > 0;
  }

  async archive(tx: Queryable, versionId: string): Promise<void> {
    await tx.query(`UPDATE versions SET status = 'archived', archived_at = now() WHERE id = $1`, [versionId]);
  }
}
