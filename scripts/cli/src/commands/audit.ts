// `mercato audit`: the audit logs of the services' schemas and of the auth schema (API key changes),
// merged newest first. Each entry names the authenticated principal that made the change (an API
// key id, a JWT subject, or the database role of `mercato keys`), never a name the caller typed.
import { AUTH_SCHEMA } from '@mercato/auth';
import { SERVICE_NAMES, type ServiceName } from '@mercato/config';
import { Database, readAuditLog, type AuditFilter, type AuditRecord } from '@mercato/db';
import { schemaFor } from '@mercato/runtime';
import { createLogger } from '@mercato/telemetry';
import type { Command } from 'commander';
import { parseDurationMs, platformDatabaseUrl } from './keys';

/** The logs `mercato audit` reads: each service's, and `auth` for API keys. */
export const AUDIT_SOURCES: readonly string[] = [...SERVICE_NAMES, 'auth'];

const schemaOf = (source: string): string =>
  source === 'auth' ? AUTH_SCHEMA : schemaFor(source as ServiceName);

export interface SourcedAuditRecord extends AuditRecord {
  /** The service whose log holds the entry (`auth` for API keys). */
  service: string;
}

/** The newest entries of the sources' logs matching the filter, newest first (a log not yet created is empty). */
export async function readAuditLogs(
  db: Database,
  sources: readonly string[],
  filter: AuditFilter,
): Promise<SourcedAuditRecord[]> {
  const all: SourcedAuditRecord[] = [];
  for (const service of sources) {
    const schema = schemaOf(service);
    const [exists] = await db.query<{ table: string | null }>('SELECT to_regclass($1) AS table', [
      `${schema}.audit_log`,
    ]);
    if (!exists?.table) continue;
    for (const record of await readAuditLog(db.pool, schema, filter)) all.push({ service, ...record });
  }
  return all
    .sort((a, b) => b.at.getTime() - a.at.getTime() || a.service.localeCompare(b.service) || b.id - a.id)
    .slice(0, filter.limit);
}

/** A point in the past (`--since`, `--as-of`): a duration back from now (`24h`, `7d`) or an ISO date-time. */
export function parseSince(text: string, now = Date.now(), option = '--since'): Date {
  if (/^\d+(m|h|d)$/.test(text)) return new Date(now - parseDurationMs(text));
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new Error(`${option}: "${text}" is neither a duration (24h) nor an ISO date`);
  return new Date(at);
}

const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('who changed what: the audit logs of the services and of API keys, newest first')
    .option('--service <names>', `comma-separated logs to read (default: all of ${AUDIT_SOURCES.join(', ')})`)
    .option('--tenant <id>', 'only this tenant')
    .option('--action <action>', 'only this action (model.promote), or a prefix ending in "." (model.)')
    .option('--principal <principal>', 'only this principal (key:<id>, jwt:<subject>, db:<role>)')
    .option('--since <when>', 'a duration back from now (24h, 7d) or an ISO date-time')
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        service?: string;
        tenant?: string;
        action?: string;
        principal?: string;
        since?: string;
        limit: string;
        json?: boolean;
      }) => {
        const sources = opts.service ? opts.service.split(',').map((s) => s.trim()) : AUDIT_SOURCES;
        const unknown = sources.filter((s) => !AUDIT_SOURCES.includes(s));
        if (unknown.length > 0)
          throw new Error(
            `--service: unknown ${unknown.join(', ')}; one or more of ${AUDIT_SOURCES.join(', ')}`,
          );
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
          throw new Error(`--limit: "${opts.limit}" must be an integer from 1 to 10000`);
        const filter: AuditFilter = {
          tenantId: opts.tenant,
          action: opts.action,
          principal: opts.principal,
          since: opts.since ? parseSince(opts.since) : undefined,
          limit,
        };
        const logger = createLogger('cli', 'warn', 'stderr');
        const db = new Database({ url: await platformDatabaseUrl(), schema: 'public', logger, poolMax: 1 });
        try {
          const entries = await readAuditLogs(db, sources, filter);
          if (opts.json) return say(JSON.stringify({ items: entries }, null, 2));
          if (entries.length === 0) return say('no audit entries');
          for (const e of entries)
            say(
              [
                e.at.toISOString(),
                e.service.padEnd(16),
                e.tenantId.padEnd(12),
                e.principal.padEnd(24),
                e.action.padEnd(16),
                e.target,
                e.outcome,
                e.reason ? JSON.stringify(e.reason) : '',
              ]
                .join('  ')
                .trimEnd(),
            );
        } finally {
          await db.close();
        }
      },
    );
}
