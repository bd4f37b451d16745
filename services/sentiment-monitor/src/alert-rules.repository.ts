// Postgres access for tenants' own surge rules: every change is a new version (append-only), and
// the latest version is the tenant's rules. Versions are numbered per tenant from 1.
import { Injectable } from '@nestjs/common';
import { Database, type Queryable } from '@mercato/db';

export interface StoredRules {
  tenantId: string;
  version: number;
  /** The document as the tenant sent it (validated). */
  document: unknown;
  createdBy: string;
  createdAt: number;
}

interface RulesRow {
  tenant_id: string;
  version: number;
  document: unknown;
  created_by: string;
  created_at: Date;
}

const toRules = (r: RulesRow): StoredRules => ({
  tenantId: r.tenant_id,
  version: r.version,
  document: r.document,
  createdBy: r.created_by,
  createdAt: r.created_at.getTime(),
});

@Injectable()
export class AlertRulesRepository {
  constructor(private readonly db: Database) {}

  /** The latest version of each tenant that has rules of its own. */
  async latestVersions(tenantIds: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await this.db.pool.query<{ tenant_id: string; version: number }>(
      `SELECT tenant_id, max(version) AS version FROM alert_rules WHERE tenant_id = ANY($1) GROUP BY tenant_id`,
      [[...tenantIds]],
    );
    return new Map(rows.map((r) => [r.tenant_id, r.version]));
  }

  async get(tenantId: string, version?: number): Promise<StoredRules | undefined> {
    const { rows } = await this.db.pool.query<RulesRow>(
      `SELECT tenant_id, version, document, created_by, created_at FROM alert_rules
       WHERE tenant_id = $1 AND ($2::int IS NULL OR version = $2) ORDER BY version DESC LIMIT 1`,
      [tenantId, version ?? null],
    );
    return rows[0] && toRules(rows[0]);
  }

  /** Every version, newest first (without documents). */
  async versions(tenantId: string, limit: number): Promise<Omit<StoredRules, 'document'>[]> {
    const { rows } = await this.db.pool.query<Omit<RulesRow, 'document'>>(
      `SELECT tenant_id, version, created_by, created_at FROM alert_rules WHERE tenant_id = $1
       ORDER BY version DESC LIMIT $2`,
      [tenantId, limit],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      version: r.version,
      createdBy: r.created_by,
      createdAt: r.created_at.getTime(),
    }));
  }

  /**
   * Adds the next version; `expected` (when given) must be the current version (0: none yet), else
   * nothing is written and the current version is returned as a conflict.
   */
  async append(
    tenantId: string,
    document: unknown,
    createdBy: string,
    expected: number | undefined,
    /** Runs in the transaction of the new version (its audit entry), before it commits. */
    also?: (tx: Queryable, stored: StoredRules) => Promise<void>,
  ): Promise<{ stored: StoredRules } | { conflict: number }> {
    return this.db.transaction(async (tx) => {
      // One writer per tenant at a time: the next version number is read and taken under the lock.
      await tx.query(
        `SELECT pg_advisory_xact_lock(hashtextextended('sentiment_monitor.alert_rules:' || $1, 0))`,
        [tenantId],
      );
      const { rows: current } = await tx.query<{ version: number | null }>(
        'SELECT max(version) AS version FROM alert_rules WHERE tenant_id = $1',
        [tenantId],
      );
      const version = current[0]?.version ?? 0;
      if (expected !== undefined && expected !== version) return { conflict: version };
      const { rows } = await tx.query<RulesRow>(
        `INSERT INTO alert_rules (tenant_id, version, document, created_by) VALUES ($1, $2, $3, $4)
         RETURNING tenant_id, version, document, created_by, created_at`,
        [tenantId, version + 1, JSON.stringify(document), createdBy],
      );
      const stored = toRules(rows[0] as RulesRow);
      await also?.(tx, stored);
      return { stored };
    });
  }
}
