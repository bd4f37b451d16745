// vitest global setup: the real broker and database every integration spec uses, started when not
// already running (and stopped afterwards only if started here), with the catalogue's topics created
// by the same `mercato topics create` an operator runs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  REPO_ROOT,
  ensureLocalKafka,
  ensureLocalPostgres,
  type KafkaHandle,
  type PostgresHandle,
} from '@mercato/dev-stack';

const run = promisify(execFile);
let kafka: KafkaHandle | undefined;
let pg: PostgresHandle | undefined;

export async function setup(): Promise<void> {
  const log = (msg: string): void => {
    process.stdout.write(`[test infra] ${msg}\n`);
  };
  kafka = await ensureLocalKafka(log);
  pg = await ensureLocalPostgres(log);
  process.env.KAFKA_BROKERS = kafka.brokers;
  process.env.DATABASE_URL = pg.url;
  // Services spawned by specs (with spawnService or directly) run without authentication unless the
  // spec asks for AUTH_MODE=required (the auth, tenancy and fuzz specs do).
  process.env.AUTH_MODE ??= 'off';
  const { stdout } = await run(
    process.execPath,
    [join(REPO_ROOT, 'dist/scripts/cli/src/main.js'), 'topics', 'create'],
    { env: process.env },
  );
  log(stdout.trim());
}

export async function teardown(): Promise<void> {
  await pg?.stop();
  await kafka?.stop();
}
