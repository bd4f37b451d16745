// libs/db on a real Postgres: migrations in the service's own schema, transactions, and a pool that
// survives its connections being killed (what a Postgres restart does to it).
import { createTestDatabase, type TestDatabase } from '@mercato/dev-stack';
import { testLogger } from '@mercato/testing';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database } from '../src/database';
import { migrate } from '../src/migrations';

const logger = testLogger('silent');
let testDb: TestDatabase;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('db');
  db = new Database({ url: testDb.url, schema: 'inventory', logger, poolMax: 3 });
});

afterAll(async () => {
  await db.close();
  await testDb.drop();
});

describe('Database', () => {
  it('applies migrations once, in the service schema, and is idempotent', async () => {
    const dir = join(__dirname, 'migrations');
    expect(await migrate({ url: testDb.url, schema: 'inventory', dir, logger })).toEqual([
      '1700000000000_create-items',
      '1700000000001_add-price',
    ]);
    expect(await migrate({ url: testDb.url, schema: 'inventory', dir, logger })).toEqual([]);
    const tables = await db.query<{ table_schema: string }>(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = 'items'",
    );
    expect(tables).toEqual([{ table_schema: 'inventory' }]);
    await db.query('INSERT INTO items (id, name, price) VALUES ($1, $2, $3)', ['i1', 'kettle', 20]);
    expect(await db.query('SELECT id, name FROM items')).toEqual([{ id: 'i1', name: 'kettle' }]);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await db.transaction(async (c) => {
      await c.query("INSERT INTO items (id, name) VALUES ('t1', 'kept')");
    });
    await expect(
      db.transaction(async (c) => {
        await c.query("INSERT INTO items (id, name) VALUES ('t2', 'discarded')");
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const ids = (await db.query<{ id: string }>("SELECT id FROM items WHERE id LIKE 't%' ORDER BY id")).map(
      (r) => r.id,
    );
    expect(ids).toEqual(['t1']);
  });

  it('survives the server killing its connections and reconnects on the next query', async () => {
    await Promise.all([db.ping(), db.ping(), db.ping()]);
    const admin = new pg.Client({ connectionString: testDb.url });
    await admin.connect();
    const killed = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mercato-inventory'",
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    const rows = await db.query<{ n: number }>('SELECT 1 AS n');
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('refuses a schema name that could inject SQL', () => {
    expect(() => new Database({ url: testDb.url, schema: 'x; drop', logger })).toThrow(/invalid schema/);
  });
});

describe('migrations under contention', () => {
  it('lets services migrate their own schemas at once, and replicas of one service wait for each other', async () => {
    const dir = join(__dirname, 'migrations');
    const schemas = ['svc_a', 'svc_b', 'svc_c', 'svc_a', 'svc_a', 'svc_b'];
    const applied = await Promise.all(
      schemas.map((schema) => migrate({ url: testDb.url, schema, dir, logger })),
    );
    const bySchema = new Map<string, number>();
    schemas.forEach((schema, i) =>
      bySchema.set(schema, (bySchema.get(schema) ?? 0) + (applied[i]?.length ?? 0)),
    );
    expect(Object.fromEntries(bySchema)).toEqual({ svc_a: 2, svc_b: 2, svc_c: 2 });
  });
});
