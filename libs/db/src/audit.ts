// The audit log every service keeps in its own schema (table audit_log, migrations/audit): who made
// each state-changing call — promote, rollback, archive, register, webhook and rule changes,
// deletions, training jobs, feedback, API keys — to what, with which outcome and why. The principal
// comes from the credential the request was authenticated with (a Principal of @mercato/auth: key
// id or JWT subject), never from a request field; `reason` is the caller's free text. Write the
// entry in the transaction of the change (pass the transaction's client), so a change is never
// committed without its entry. `npx mercato audit` reads every service's log.
import { trace } from '@opentelemetry/api';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database, Queryable } from './database';
import { migrate } from './migrations';

export const AUDIT_MIGRATIONS_DIR = join(__dirname, '..', 'migrations', 'audit');

/** Who acted: a Principal of @mercato/auth fits, as does an operator tool's database identity. */
export interface AuditActor {
  readonly tenantId: string;
  /** `key:<id>`, `jwt:<subject>`, `development`, `db:<role>`: never the secret. */
  readonly subject: string;
  readonly method: string;
}

export interface AuditEntry {
  /** `<thing>.<verb>`: `model.promote`, `webhook.delete`, `key.revoke`, … */
  action: string;
  /** What was changed: `sentiment@production`, `webhook <id>`, … */
  target: string;
  /** `done` unless the call decided otherwise (`rejected`, `unchanged`). */
  outcome?: string;
  /** The caller's free-text reason. */
  reason?: string;
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: number;
  at: Date;
  tenantId: string;
  principal: string;
  method: string;
  action: string;
  target: string;
  outcome: string;
  reason: string;
  details: Record<string, unknown>;
  traceId: string | null;
}

export interface AuditFilter {
  tenantId?: string;
  /** An action, or a prefix ending in `.` (`model.`). */
  action?: string;
  principal?: string;
  since?: Date;
  limit: number;
}

export class AuditLog {
  constructor(private readonly db: Pick<Database, 'pool'>) {}

  /** Appends an entry; pass `tx` to write it in the transaction of the change. */
  async record(actor: AuditActor, entry: AuditEntry, tx?: Queryable): Promise<void> {
    await (tx ?? this.db.pool).query(
      `INSERT INTO audit_log (tenant_id, principal, method, action, target, outcome, reason, details, trace_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        actor.tenantId,
        actor.subject,
        actor.method,
        entry.action,
        entry.target,
        entry.outcome ?? 'done',
        entry.reason ?? '',
        JSON.stringify(entry.details ?? {}),
        trace.getActiveSpan()?.spanContext().traceId ?? null,
      ],
    );
  }
}

/** Applies the audit log's migrations to a schema (beside the schema's own, in their own table). */
export function migrateAuditLog(url: string, schema: string, logger: Logger): Promise<string[]> {
  return migrate({ url, schema, dir: AUDIT_MIGRATIONS_DIR, logger, migrationsTable: 'audit_pgmigrations' });
}

/** The newest entries of a schema's audit log matching the filter, newest first. */
export async function readAuditLog(
  db: Queryable,
  schema: string,
  filter: AuditFilter,
): Promise<AuditRecord[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const prefix = filter.action?.endsWith('.') ? filter.action : undefined;
  const exact = prefix === undefined ? filter.action : undefined;
  const { rows } = await db.query<Omit<AuditRecord, 'id'> & { id: string }>(
    `SELECT id::text AS id, at, tenant_id AS "tenantId", principal, method, action, target, outcome, reason,
            details, trace_id AS "traceId"
     FROM ${schema}.audit_log
     WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR action = $2)
       AND ($3::text IS NULL OR starts_with(action, $3)) AND ($4::text IS NULL OR principal = $4)
       AND ($5::timestamptz IS NULL OR at >= $5)
     ORDER BY at DESC, id DESC LIMIT $6`,
    [
      filter.tenantId ?? null,
      exact ?? null,
      prefix ?? null,
      filter.principal ?? null,
      filter.since ?? null,
      filter.limit,
    ],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
