// `mercato keys create|list|revoke|rotate`: API keys in the `auth` schema of the platform database
// (DATABASE_URL, or the local stack's embedded Postgres when it is running). The secret of a new key
// is printed once; only its SHA-256 is stored. Every change is recorded in the auth schema's audit
// log, in the change's transaction, under the database role the command connected as (`db:<role>`:
// the identity Postgres authenticated). Also: the key the CLI itself sends to the services.
import {
  AUTH_SCHEMA,
  ApiKeyStore,
  SCOPES,
  TENANT_ID_PATTERN,
  isScope,
  migrateAuthSchema,
  type ApiKeyRecord,
  type Scope,
} from '@mercato/auth';
import { readSecret } from '@mercato/config';
import { AuditLog, Database, migrateAuditLog, type AuditEntry } from '@mercato/db';
import { createLogger } from '@mercato/telemetry';
import { EMBEDDED_PG_PORT, REPO_ROOT, ensureLocalPostgres, portOpen } from '@mercato/dev-stack';
import type { Command } from 'commander';
import type { QueryResultRow } from 'pg';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Written by `mercato up` (mode 0600): the tenant admin key and the platform service key it created.
 * In the checkout scripts/env.sh names (MERCATO_ROOT, set for every `npx mercato`), so a command
 * that only sends a key does not load the test-infrastructure library to find the checkout.
 */
export const stackKeysFile = (): string =>
  join(process.env.MERCATO_ROOT ?? REPO_ROOT, '.mercato', 'api-keys.json');

export interface StackKeys {
  tenant: string;
  admin: { id: string; key: string };
  service: { id: string; key: string };
}

export interface CliCredential {
  key: string | undefined;
  /** Where the key comes from, in words. */
  source: string;
  /** The key's tenant, when the CLI knows it (the stack's key file names it). */
  tenant?: string;
}

/** The key CLI commands send: MERCATO_API_KEY(_FILE), else the admin key `mercato up` wrote. */
export function cliCredential(): CliCredential {
  const configured = readSecret('MERCATO_API_KEY');
  if (configured)
    return {
      key: configured,
      source: process.env.MERCATO_API_KEY ? 'MERCATO_API_KEY' : 'MERCATO_API_KEY_FILE',
    };
  const file = stackKeysFile();
  if (!existsSync(file)) return { key: undefined, source: 'no API key (MERCATO_API_KEY is not set)' };
  const keys = JSON.parse(readFileSync(file, 'utf8')) as StackKeys;
  return { key: keys.admin.key, source: `the admin key in ${file}`, tenant: keys.tenant };
}

export const cliApiKey = (): string | undefined => cliCredential().key;

/**
 * The platform key for operations on platform-owned things (the platform's models):
 * MERCATO_SERVICE_API_KEY(_FILE), else the service key `mercato up` wrote.
 */
export function stackServiceKey(): string | undefined {
  const configured = readSecret('MERCATO_SERVICE_API_KEY');
  if (configured) return configured;
  const file = stackKeysFile();
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as StackKeys).service.key;
}

/** Authorization header for CLI calls to the services (empty when no key is known, e.g. AUTH_MODE=off). */
export function cliAuthHeaders(): Record<string, string> {
  const key = cliApiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `90d`, `12h`, `30m` in milliseconds. */
export function parseDurationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration like 30m, 12h or 90d`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** An expiry as a duration from now (`90d`) or an ISO date-time. */
export function parseExpiry(text: string, now = Date.now()): Date {
  if (DURATION.test(text)) return new Date(now + parseDurationMs(text));
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new Error(`--expires: "${text}" is neither a duration (90d) nor an ISO date`);
  if (at <= now) throw new Error('--expires: the date is in the past');
  return new Date(at);
}

export function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0 || scopes.length === 0)
    throw new Error(
      `--scopes: unknown ${unknown.join(', ') || '(none given)'}; one or more of ${SCOPES.join(', ')}`,
    );
  return scopes as Scope[];
}

/** DATABASE_URL(_FILE), else the local stack's database when it is running (never started here). */
export async function platformDatabaseUrl(): Promise<string> {
  const url = readSecret('DATABASE_URL');
  if (url) return url;
  // Only an already running local database: a keys command never starts one.
  if (await portOpen('127.0.0.1', EMBEDDED_PG_PORT)) return (await ensureLocalPostgres()).url;
  throw new Error('DATABASE_URL is not set and no local stack database is running');
}

/** Records a key change for the key's tenant in the auth schema's audit log (same transaction). */
export type KeyAudit = (tenantId: string, entry: AuditEntry) => Promise<void>;

/**
 * Runs fn in one transaction with the key store and the audit of its changes, the auth schema and
 * its audit log migrated first; closes the pool after.
 */
export async function withKeyStore<T>(
  fn: (store: ApiKeyStore, audit: KeyAudit) => Promise<T>,
  url?: string,
): Promise<T> {
  const logger = createLogger('cli', 'warn', 'stderr');
  const databaseUrl = url ?? (await platformDatabaseUrl());
  await migrateAuthSchema(databaseUrl, logger);
  await migrateAuditLog(databaseUrl, AUTH_SCHEMA, logger);
  const db = new Database({ url: databaseUrl, schema: AUTH_SCHEMA, logger, poolMax: 2 });
  const log = new AuditLog(db);
  try {
    return await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ role: string }>('SELECT current_user AS role');
      const subject = `db:${(rows[0] as { role: string }).role}`;
      const store = new ApiKeyStore({
        query: async <R extends QueryResultRow>(text: string, values?: unknown[]) =>
          (await tx.query<R>(text, values)).rows,
      });
      return fn(store, (tenantId, entry) => log.record({ tenantId, subject, method: 'database' }, entry, tx));
    });
  } finally {
    await db.close();
  }
}

const status = (k: ApiKeyRecord, now = Date.now()): string =>
  k.revokedAt ? 'revoked' : k.expiresAt && k.expiresAt.getTime() <= now ? 'expired' : 'active';

const view = (k: ApiKeyRecord) => ({
  id: k.id,
  tenant: k.tenantId,
  name: k.name,
  scopes: k.scopes,
  platform: k.platform,
  status: status(k),
  rateRps: k.rateRps,
  rateBurst: k.rateBurst,
  rotatedFrom: k.rotatedFrom,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

/** The audit entry of a new key: what it may do, never its secret. */
export const keyCreated = (k: ApiKeyRecord): AuditEntry => ({
  action: 'key.create',
  target: `key ${k.id}`,
  details: { name: k.name, scopes: k.scopes, platform: k.platform },
});

function printCreated(record: ApiKeyRecord, token: string, json: boolean): void {
  if (json) return say(JSON.stringify({ ...view(record), key: token }, null, 2));
  say(`key ${record.id} for tenant ${record.tenantId} (${record.scopes.join(', ')})`);
  say(`  ${token}`);
  say('this secret is shown only now: store it (it cannot be recovered, only rotated)');
}

export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description('API keys (stored hashed in the auth schema of DATABASE_URL or the local stack)');

  keys
    .command('create')
    .description('create a key; its secret is printed once')
    .requiredOption('--tenant <id>', 'tenant the key acts for')
    .requiredOption('--scopes <list>', 'comma-separated scopes (listed below)')
    .requiredOption('--name <name>', 'what the key is for (shown in lists and logs)')
    .option('--expires <when>', 'a duration (90d, 12h) or an ISO date-time')
    .option('--platform', 'a service key that may act for any tenant named in X-Mercato-Tenant')
    .option('--rate-rps <n>', 'requests per second for this key (overrides RATE_LIMIT_RPS; 0: unlimited)')
    .option('--rate-burst <n>', 'burst for this key (overrides RATE_LIMIT_BURST)')
    .option('--json', 'print as JSON')
    // A function, so the scope list (and its library) loads only when the help is shown.
    .addHelpText('after', () => `\nScopes: ${SCOPES.join(', ')}`)
    .action(
      async (opts: {
        tenant: string;
        scopes: string;
        name: string;
        expires?: string;
        platform?: boolean;
        rateRps?: string;
        rateBurst?: string;
        json?: boolean;
      }) => {
        if (!TENANT_ID_PATTERN.test(opts.tenant))
          throw new Error(`--tenant: "${opts.tenant}" must match ${TENANT_ID_PATTERN.source}`);
        const scopes = parseScopes(opts.scopes);
        const num = (v: string | undefined, name: string): number | null => {
          if (v === undefined) return null;
          const n = Number(v);
          if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: expected a number ≥ 0`);
          return n;
        };
        const { record, token } = await withKeyStore(async (store, audit) => {
          const created = await store.create({
            tenantId: opts.tenant,
            name: opts.name,
            scopes,
            platform: !!opts.platform,
            expiresAt: opts.expires ? parseExpiry(opts.expires) : null,
            rateRps: num(opts.rateRps, '--rate-rps'),
            rateBurst: num(opts.rateBurst, '--rate-burst'),
          });
          await audit(opts.tenant, keyCreated(created.record));
          return created;
        });
        printCreated(record, token, !!opts.json);
      },
    );

  keys
    .command('list')
    .description('keys with their status (never their secrets)')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print as JSON')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const list = await withKeyStore((store) => store.list(opts.tenant));
      if (opts.json) return say(JSON.stringify({ items: list.map(view) }, null, 2));
      if (list.length === 0) return say('no keys');
      for (const k of list.map(view))
        say(
          [
            k.id,
            k.tenant.padEnd(12),
            k.status.padEnd(8),
            k.platform ? 'platform' : '        ',
            k.name,
            k.scopes.join(','),
          ].join('  '),
        );
    });

  keys
    .command('revoke <id>')
    .description('revoke a key (services stop accepting it within AUTH_KEY_CACHE_TTL_MS, 30 s by default)')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const record = await withKeyStore(async (store, audit) => {
        const revoked = await store.revoke(id);
        if (revoked) await audit(revoked.tenantId, { action: 'key.revoke', target: `key ${id}` });
        return revoked;
      });
      if (!record) throw new Error(`no key ${id}`);
      if (opts.json) say(JSON.stringify(view(record), null, 2));
      else say(`key ${id} revoked`);
    });

  keys
    .command('rotate <id>')
    .description('issue a successor with the same tenant, scopes and limits; the old key ends after --grace')
    .option('--grace <duration>', 'how long the old key keeps working (e.g. 24h; default: revoked now)')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { grace?: string; json?: boolean }) => {
      const graceMs = opts.grace ? parseDurationMs(opts.grace) : 0;
      const rotated = await withKeyStore(async (store, audit) => {
        const done = await store.rotate(id, graceMs);
        if (done)
          await audit(done.record.tenantId, {
            action: 'key.rotate',
            target: `key ${id}`,
            details: { successor: done.record.id, graceMs },
          });
        return done;
      });
      if (!rotated) throw new Error(`no active key ${id}`);
      if (opts.json)
        return say(
          JSON.stringify(
            { ...view(rotated.record), key: rotated.token, previous: view(rotated.previous) },
            null,
            2,
          ),
        );
      printCreated(rotated.record, rotated.token, false);
      say(
        rotated.previous.revokedAt
          ? `the old key ${id} is revoked`
          : `the old key ${id} works until ${rotated.previous.expiresAt?.toISOString()}`,
      );
    });
}
