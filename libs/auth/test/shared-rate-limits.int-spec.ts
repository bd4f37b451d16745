// Rate limits shared by replicas, on real Postgres: three Authenticators (three replicas, each with
// its own connection pool) admit a key's burst once between them, not three times; a refusal is a
// 429 with Retry-After; a replica that loses the database limits on its own instead of letting
// everything through; RATE_LIMIT_SCOPE=replica keeps per-process buckets.
import { createTestDatabase, type TestDatabase } from '@mercato/dev-stack';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../src/scopes';
import { ApiKeyStore, type NewApiKey } from '../src/api-key.store';
import { migrateAuthSchema } from '../src/auth-schema';
import { AuthError } from '../src/auth-error';
import { Authenticator } from '../src/authenticator';
import { PostgresRateBuckets } from '../src/shared-rate-limiter';

let db: TestDatabase;
let store: ApiKeyStore;
const pools: pg.Pool[] = [];

function newPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  // Dropping the spec's database ends idle connections: not an error of the spec.
  pool.on('error', () => undefined);
  pools.push(pool);
  return pool;
}

const queryableOf = (pool: pg.Pool) => ({
  query: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
    (await pool.query<R>(text, values)).rows,
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const keys = {
  create: (key: Pick<NewApiKey, 'tenantId' | 'rateRps' | 'rateBurst'>) =>
    store.create({ name: 'rate-limit spec', scopes: [...SCOPES], ...key }),
};

function replica(options: { shared?: boolean; onError?: (err: unknown) => void } = {}): Authenticator {
  const queryable = queryableOf(newPool());
  return new Authenticator({
    mode: 'required',
    developmentTenant: 'dev',
    keys: store,
    keyCacheTtlMs: 60_000,
    rateLimit: { rps: 100, burst: 200 },
    ...(options.shared === false
      ? {}
      : { rateBuckets: new PostgresRateBuckets(queryable), onRateBucketsError: options.onError }),
  });
}

/** Sends `count` requests spread over the replicas at once; how many were admitted, and the refusals. */
async function flood(replicas: Authenticator[], token: string, count: number) {
  const outcomes = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      Promise.resolve().then(() => replicas[i % replicas.length]!.authenticate(bearer(token), [])),
    ),
  );
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as AuthError] : []));
  return { admitted: outcomes.length - refused.length, refused };
}

beforeAll(async () => {
  db = await createTestDatabase('shared_rate_limits');
  await migrateAuthSchema(db.url, { debug: () => undefined });
  store = new ApiKeyStore(queryableOf(newPool()));
}, 60_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await db?.drop();
});

describe('shared rate limits', () => {
  it("admits a key's burst once across three replicas, then answers 429 with Retry-After", async () => {
    // 0.5/s: at most a few tokens come back while the spec runs.
    const { token } = await keys.create({ tenantId: 'acme', rateRps: 0.5, rateBurst: 30 });
    const replicas = [replica(), replica(), replica()];
    const { admitted, refused } = await flood(replicas, token, 90);
    expect(admitted).toBeGreaterThanOrEqual(30);
    expect(admitted).toBeLessThanOrEqual(32);
    expect(refused.every((e) => e instanceof AuthError && e.status === 429)).toBe(true);
    expect(refused[0]?.retryAfterS).toBeGreaterThanOrEqual(1);
    expect(refused[0]?.retryAfterS).toBeLessThanOrEqual(2);
    // A replica that joins later draws on the same, empty bucket.
    await expect(replica().authenticate(bearer(token), [])).rejects.toMatchObject({ status: 429 });
  });

  it('per replica (RATE_LIMIT_SCOPE=replica), each process admits the whole burst', async () => {
    const { token } = await keys.create({ tenantId: 'acme', rateRps: 0.5, rateBurst: 10 });
    const { admitted } = await flood([replica({ shared: false }), replica({ shared: false })], token, 40);
    expect(admitted).toBeGreaterThanOrEqual(20);
    expect(admitted).toBeLessThanOrEqual(22);
  });

  it('falls back to the replica’s own bucket when the database is unreachable, and says so', async () => {
    const { token } = await keys.create({ tenantId: 'acme', rateRps: 0.5, rateBurst: 5 });
    const errors: unknown[] = [];
    const cut = replica({ onError: (err) => errors.push(err) });
    // Warm the key cache, then take the shared buckets away from this replica.
    await cut.authenticate(bearer(token), []);
    await pools.pop()?.end();
    const { admitted } = await flood([cut], token, 20);
    expect(admitted).toBe(5);
    expect(errors.length).toBeGreaterThan(0);
  });
});
