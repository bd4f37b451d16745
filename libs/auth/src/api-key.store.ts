// The API key table (schema `auth`, shared by every service in the database): create, list, revoke
// and rotate for the CLI, find by id for the authenticator. Secrets never reach this module's
// callers except once, as the token returned by create/rotate.
import { PLATFORM_TENANT } from './authenticator';
import type { QueryResultRow } from 'pg';
import { generateApiKey, hashSecret } from './api-key';
import type { Scope } from './scopes';

/** What the store needs from a database: a pool or a Database from @mercato/db. */
export interface AuthQueryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
}

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  secretSha256: Buffer;
  scopes: Scope[];
  platform: boolean;
  rateRps: number | null;
  rateBurst: number | null;
  rotatedFrom: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NewApiKey {
  tenantId: string;
  name: string;
  scopes: readonly Scope[];
  platform?: boolean;
  expiresAt?: Date | null;
  rateRps?: number | null;
  rateBurst?: number | null;
  rotatedFrom?: string | null;
}

interface Row {
  id: string;
  tenant_id: string;
  name: string;
  secret_sha256: Buffer;
  scopes: string[];
  platform: boolean;
  rate_rps: number | null;
  rate_burst: number | null;
  rotated_from: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const COLUMNS =
  'id, tenant_id, name, secret_sha256, scopes, platform, rate_rps, rate_burst, rotated_from, created_at, expires_at, revoked_at, last_used_at';

const toRecord = (r: Row): ApiKeyRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  secretSha256: r.secret_sha256,
  scopes: r.scopes as Scope[],
  platform: r.platform,
  rateRps: r.rate_rps,
  rateBurst: r.rate_burst,
  rotatedFrom: r.rotated_from,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

export class ApiKeyStore {
  constructor(private readonly db: AuthQueryable) {}

  /** Stores a new key and returns it with its token (the only time the secret is available). */
  async create(key: NewApiKey): Promise<{ record: ApiKeyRecord; token: string }> {
    if (key.tenantId === PLATFORM_TENANT && !key.platform)
      throw new Error(
        `tenant ${PLATFORM_TENANT} is reserved for platform keys (create it with platform: true)`,
      );
    const { id, secret, token } = generateApiKey();
    const [row] = await this.db.query<Row>(
      `INSERT INTO auth.api_keys (id, tenant_id, name, secret_sha256, scopes, platform, rate_rps, rate_burst, rotated_from, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
      [
        id,
        key.tenantId,
        key.name,
        hashSecret(secret),
        [...key.scopes],
        key.platform ?? false,
        key.rateRps ?? null,
        key.rateBurst ?? null,
        key.rotatedFrom ?? null,
        key.expiresAt ?? null,
      ],
    );
    return { record: toRecord(row as Row), token };
  }

  async find(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<Row>(`SELECT ${COLUMNS} FROM auth.api_keys WHERE id = $1`, [id]);
    return row && toRecord(row);
  }

  async list(tenantId?: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM auth.api_keys WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY tenant_id, created_at`,
      [tenantId ?? null],
    );
    return rows.map(toRecord);
  }

  /** Revokes the key at once (services notice within their cache TTL); undefined when unknown. */
  async revoke(id: string): Promise<ApiKeyRecord | undefined> {
    const [row] = await this.db.query<Row>(
      `UPDATE auth.api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    return row && toRecord(row);
  }

  /**
   * Issues a successor with the same tenant, name, scopes and limits, and ends the old key after
   * graceMs (0: revoked now), so callers can switch without downtime.
   */
  async rotate(
    id: string,
    graceMs: number,
  ): Promise<{ record: ApiKeyRecord; token: string; previous: ApiKeyRecord } | undefined> {
    const old = await this.find(id);
    if (!old || old.revokedAt) return undefined;
    const created = await this.create({ ...old, rotatedFrom: old.id });
    const [row] =
      graceMs > 0
        ? await this.db.query<Row>(
            `UPDATE auth.api_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), now() + $2 * interval '1 millisecond')
             WHERE id = $1 RETURNING ${COLUMNS}`,
            [id, graceMs],
          )
        : await this.db.query<Row>(
            `UPDATE auth.api_keys SET revoked_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
            [id],
          );
    return { ...created, previous: toRecord(row as Row) };
  }

  async touch(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query('UPDATE auth.api_keys SET last_used_at = now() WHERE id = ANY($1)', [[...ids]]);
  }
}
