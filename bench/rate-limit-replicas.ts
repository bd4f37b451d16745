// Shared rate limits benchmark: three replicas (three Authenticators in this process, each with its
// own Postgres pool, as three service processes would have) take requests of one API key at
// --offered requests/s each for --seconds, with the key limited to --rps and --burst. Prints, for
// the shared buckets (RATE_LIMIT_SCOPE=shared, the default) and for per-replica buckets, how many
// requests were admitted against what the configured rate allows (burst + rps × seconds), and the
// cost per request (authenticate() wall time, mean and p99, and the shared buckets' round trips).
// Postgres: DATABASE_URL, else the local stack's embedded server (started if needed, stopped after).
// Usage: node dist/bench/rate-limit-replicas.js [--rps 100] [--burst 200] [--offered 150]
//        [--seconds 10] [--json]
import { ApiKeyStore, Authenticator, PostgresRateBuckets, SCOPES, migrateAuthSchema } from '@mercato/auth';
import { createTestDatabase, ensureLocalPostgres } from '@mercato/dev-stack';
import pg from 'pg';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rps: { type: 'string', default: '100' },
    burst: { type: 'string', default: '200' },
    offered: { type: 'string', default: '150' },
    seconds: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const RPS = Number(values.rps);
const BURST = Number(values.burst);
const OFFERED = Number(values.offered);
const SECONDS = Number(values.seconds);
const REPLICAS = 3;
const TICK_MS = 10;

const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  scope: 'shared' | 'replica';
  sent: number;
  admitted: number;
  allowed: number;
  meanUs: number;
  p99Us: number;
  roundTrips: number;
}

async function run(url: string, store: ApiKeyStore, scope: 'shared' | 'replica'): Promise<Outcome> {
  const { token } = await store.create({
    tenantId: 'bench',
    name: `rate-limit bench (${scope})`,
    scopes: [...SCOPES],
    rateRps: RPS,
    rateBurst: BURST,
  });
  const pools: pg.Pool[] = [];
  let roundTrips = 0;
  const replicas = Array.from({ length: REPLICAS }, () => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pools.push(pool);
    const buckets = new PostgresRateBuckets({
      query: async <R extends pg.QueryResultRow>(text: string, params?: unknown[]) => {
        roundTrips++;
        return (await pool.query<R>(text, params)).rows;
      },
    });
    return new Authenticator({
      mode: 'required',
      developmentTenant: 'bench',
      keys: store,
      keyCacheTtlMs: 60_000,
      rateLimit: { rps: RPS, burst: BURST },
      ...(scope === 'shared' ? { rateBuckets: buckets } : {}),
    });
  });
  const headers = { authorization: `Bearer ${token}` };
  // Every replica knows the key before the clock starts (a key lookup is not what is measured).
  await Promise.allSettled(replicas.map((r) => r.authenticate(headers, [])));
  roundTrips = 0;
  const timings: number[] = [];
  let sent = 0;
  let admitted = 0;
  const inFlight: Promise<void>[] = [];
  const one = async (replica: Authenticator): Promise<void> => {
    const started = process.hrtime.bigint();
    try {
      await replica.authenticate(headers, []);
      admitted++;
    } catch {
      // a 429: counted by what was admitted
    }
    timings.push(Number(process.hrtime.bigint() - started) / 1000);
  };
  const start = Date.now();
  const perTick = (OFFERED * TICK_MS) / 1000;
  let due = 0;
  while (Date.now() - start < SECONDS * 1000) {
    due += perTick;
    for (; due >= 1; due--)
      for (const replica of replicas) {
        sent++;
        inFlight.push(one(replica));
      }
    await sleep(TICK_MS);
  }
  await Promise.all(inFlight);
  const elapsed = (Date.now() - start) / 1000;
  await Promise.all(pools.map((p) => p.end()));
  timings.sort((a, b) => a - b);
  const perReplica = BURST + RPS * elapsed;
  return {
    scope,
    sent,
    admitted,
    // The first warm-up request of each replica took a token too.
    allowed: (scope === 'shared' ? perReplica : REPLICAS * perReplica) - REPLICAS,
    meanUs: timings.reduce((s, t) => s + t, 0) / timings.length,
    p99Us: timings[Math.floor(timings.length * 0.99)] ?? NaN,
    roundTrips,
  };
}

async function main(): Promise<void> {
  const server = await ensureLocalPostgres(log);
  process.env.DATABASE_URL = server.url;
  const db = await createTestDatabase('bench_rate_limits');
  const keysPool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await migrateAuthSchema(db.url, { debug: () => undefined });
    const store = new ApiKeyStore({
      query: async <R extends pg.QueryResultRow>(text: string, params?: unknown[]) =>
        (await keysPool.query<R>(text, params)).rows,
    });
    const outcomes: Outcome[] = [];
    for (const scope of ['shared', 'replica'] as const) {
      log(
        `${scope}: ${REPLICAS} replicas × ${OFFERED}/s offered for ${SECONDS} s, key limited to ${RPS}/s, burst ${BURST}`,
      );
      outcomes.push(await run(db.url, store, scope));
    }
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ rps: RPS, burst: BURST, offered: OFFERED, seconds: SECONDS, outcomes })}\n`,
      );
      return;
    }
    const lines = outcomes.map(
      (o) =>
        `${o.scope.padEnd(8)} sent ${String(o.sent).padStart(6)}  admitted ${String(o.admitted).padStart(6)}  allowed ${o.allowed.toFixed(0).padStart(6)}  (${((o.admitted / o.allowed - 1) * 100).toFixed(1).padStart(6)} %)  per request ${o.meanUs.toFixed(1)} µs mean, ${o.p99Us.toFixed(0)} µs p99  ${o.roundTrips} Postgres round trips`,
    );
    process.stdout.write(
      [
        `one key, ${RPS}/s burst ${BURST}, ${REPLICAS} replicas each offered ${OFFERED}/s for ${SECONDS} s ("allowed": burst + rate × time, for the key or per replica)`,
        ...lines,
        '',
      ].join('\n'),
    );
  } finally {
    await keysPool.end();
    await db.drop();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
