// Tenant isolation of the model registry (BOLA), with authentication on: tenant B's key cannot list,
// read, download, promote, roll back, archive or register versions of tenant A's model — each answers
// 404 as if the model did not exist — while B may have its own model of the same name. Scopes: a
// models:read key cannot change anything. Audit: every change is recorded with the key that made it,
// whatever name a request body claims.
import { createTestDatabase, uniqueSuffix, type TestDatabase } from '@mercato/dev-stack';
import { bearer, testKeys, type TestKeys } from '@mercato/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, lineage, startRegistry, tfjsArtifact, type RegistryProcess } from './registry-harness';

const RUN = uniqueSuffix()
  .replace(/[^a-z0-9]/g, '')
  .slice(-10);
const A = `a${RUN}`;
const B = `b${RUN}`;
const MODEL = `recommender-${A}`;

let db: TestDatabase;
let keys: TestKeys;
let registry: RegistryProcess;
let asA: ReturnType<typeof api>;
let asB: ReturnType<typeof api>;
let readerA: ReturnType<typeof api>;
let keyA: string;

const version = (seed: number) => ({
  metrics: { accuracy: 0.8 + seed / 100, macro_f1: 0.8 },
  lineage: lineage({ trainingRequestId: `${RUN}-${seed}` }),
  idempotencyKey: `${RUN}-${seed}`,
  files: tfjsArtifact({ seed }).files,
});

beforeAll(async () => {
  db = await createTestDatabase('registry_tenancy');
  keys = await testKeys(db.url);
  registry = await startRegistry(db.url, { AUTH_MODE: 'required' });
  const a = await keys.create({ tenantId: A });
  keyA = a.record.id;
  asA = api(registry.url, bearer(a.token));
  asB = api(registry.url, bearer((await keys.create({ tenantId: B })).token));
  readerA = api(registry.url, bearer((await keys.create({ tenantId: A, scopes: ['models:read'] })).token));
  expect((await asA.post('/v1/models', { name: MODEL, kind: 'sentiment' })).status).toBe(201);
  expect((await asA.post(`/v1/models/${MODEL}/versions`, version(1))).status).toBe(201);
  expect((await asA.post(`/v1/models/${MODEL}/versions`, version(2))).status).toBe(201);
  expect((await asA.post(`/v1/models/${MODEL}/promote`, { version: 1, force: true })).status).toBe(200);
});

afterAll(async () => {
  await registry?.stop();
  await keys?.close();
  await db?.drop();
});

describe("tenant B against tenant A's model", () => {
  it('does not see it in the list, and gets 404 for every read', async () => {
    expect((await asA.get('/v1/models')).body.items.map((m: any) => m.name)).toContain(MODEL);
    expect((await asB.get('/v1/models')).body.items.map((m: any) => m.name)).not.toContain(MODEL);
    for (const path of [
      `/v1/models/${MODEL}`,
      `/v1/models/${MODEL}/versions`,
      `/v1/models/${MODEL}/versions/1`,
      `/v1/models/${MODEL}/versions/1/files/model.json`,
      `/v1/models/${MODEL}/aliases/production`,
      `/v1/models/${MODEL}/aliases/production/history`,
    ]) {
      expect({ path, status: (await asA.get(path)).status }).toEqual({ path, status: 200 });
      expect({ path, status: (await asB.get(path)).status }).toEqual({ path, status: 404 });
    }
  });

  it('gets 404 for every change, and A’s model is unchanged after', async () => {
    const attempts = [
      [`/v1/models/${MODEL}/versions`, version(9)],
      [`/v1/models/${MODEL}/promote`, { version: 2, force: true }],
      [`/v1/models/${MODEL}/rollback`, {}],
      [`/v1/models/${MODEL}/versions/2/archive`, {}],
    ] as const;
    for (const [path, body] of attempts)
      expect({ path, status: (await asB.post(path, body)).status }).toEqual({ path, status: 404 });
    const model = (await asA.get(`/v1/models/${MODEL}`)).body;
    expect(model).toMatchObject({ latestVersion: 2, aliases: { production: 1 } });
  });

  it('may create its own model of the same name, independent of A’s', async () => {
    expect((await asB.post('/v1/models', { name: MODEL, kind: 'sentiment' })).status).toBe(201);
    expect((await asB.get(`/v1/models/${MODEL}`)).body).toMatchObject({ latestVersion: 0, aliases: {} });
    expect((await asA.get(`/v1/models/${MODEL}`)).body).toMatchObject({ latestVersion: 2 });
  });

  it('lets a models:read key read but not change, with 403 naming models:admin', async () => {
    expect((await readerA.get(`/v1/models/${MODEL}`)).status).toBe(200);
    const refused = await readerA.post(`/v1/models/${MODEL}/promote`, {
      version: 2,
      force: true,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('models:admin');
  });

  it('records the key that made each change, in the alias history and the audit log, never a body field', async () => {
    const promoted = await asA.post(`/v1/models/${MODEL}/promote`, {
      version: 2,
      force: true,
      reason: 'better offline metrics',
      actor: 'somebody-else',
    });
    expect(promoted.body.outcome).toBe('promoted');
    const history = (await asA.get(`/v1/models/${MODEL}/aliases/production/history`)).body.items;
    expect(history.map((h: any) => h.actor)).toEqual([`key:${keyA}`, `key:${keyA}`]);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const { rows } = await sql.query(
        `SELECT tenant_id, principal, method, action, target, outcome, reason FROM model_registry.audit_log
         WHERE tenant_id = $1 ORDER BY id`,
        [A],
      );
      expect(rows.map((r) => [r.action, r.target, r.outcome])).toEqual([
        ['model.create', MODEL, 'done'],
        ['model.register', `${MODEL}@1`, 'done'],
        ['model.register', `${MODEL}@2`, 'done'],
        ['model.promote', `${MODEL}@production`, 'promoted'],
        ['model.promote', `${MODEL}@production`, 'promoted'],
      ]);
      expect(new Set(rows.map((r) => `${r.principal} ${r.method}`))).toEqual(
        new Set([`key:${keyA} api-key`]),
      );
      expect(rows.at(-1)?.reason).toBe('better offline metrics');
      // B's refused attempts and B's own model are B's: nothing of B is in A's trail.
      const ofB = await sql.query(`SELECT action FROM model_registry.audit_log WHERE tenant_id = $1`, [B]);
      expect(ofB.rows.map((r) => r.action)).toEqual(['model.create']);
    } finally {
      await sql.end();
    }
  });
});
