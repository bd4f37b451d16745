// Tenant isolation of training jobs and their experiment runs (BOLA), with authentication on: a job
// submitted with tenant A's key carries A on its training request and is A's alone — tenant B's key
// gets 404 for it and its run and sees neither in its lists — and reading them needs training:read. The job's requested_by and the audit
// log name A's key, whatever the body claims.
import { Topics } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort as freeTcpPort,
} from '@mercato/dev-stack';
import { bearer, testKeys, type TestKeys } from '@mercato/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUN = uniqueSuffix()
  .replace(/[^a-z0-9]/g, '')
  .slice(-10);
const A = `a${RUN}`;
const B = `b${RUN}`;

let db: TestDatabase;
let keys: TestKeys;
let training: ServiceProcess;
let keyA: Record<string, string>;
let keyB: Record<string, string>;
let keyAId: string;

const freePort = async (): Promise<string> => String(await freeTcpPort());

const get = async (path: string, headers: Record<string, string>) => {
  const res = await fetch(`${training.url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as any };
};

beforeAll(async () => {
  db = await createTestDatabase('training_tenancy');
  keys = await testKeys(db.url);
  const a = await keys.create({ tenantId: A });
  keyA = bearer(a.token);
  keyAId = a.record.id;
  keyB = bearer((await keys.create({ tenantId: B })).token);
  const group = `training-tenancy-${uniqueSuffix()}`;
  await startGroupAtEnd(testKafka(), group, [Topics.trainingRequests.name]);
  training = await startService('training', {
    // No feature service here: sentiment jobs join no analyst feedback.
    SENTIMENT_FEEDBACK_WEIGHT: '0',
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    HTTP_PORT: await freePort(),
    KAFKA_CONSUMER_GROUP: group,
    AUTH_MODE: 'required',
    // Nothing listens here: the job is claimed (and visible) at once, and fails when it registers.
    MODEL_REGISTRY_URL: 'http://127.0.0.1:9',
  });
}, 120_000);

afterAll(async () => {
  await training?.stop();
  await keys?.close();
  await db?.drop();
});

describe("tenant B against tenant A's training job", () => {
  it('gets 404 for it and does not list it; A sees it with its own tenant', async () => {
    const submitted = await fetch(`${training.url}/v1/jobs`, {
      method: 'POST',
      headers: { ...keyA, 'content-type': 'application/json' },
      body: JSON.stringify({
        modelName: `sentiment-${A}`,
        kind: 'sentiment',
        architecture: 'cnn',
        datasetRef: 'synthetic:news?seed=1&count=60',
        hyperparameters: { epochs: 1 },
        requestedBy: 'somebody-else',
      }),
    });
    expect(submitted.status).toBe(202);
    const { requestId } = (await submitted.json()) as { requestId: string };
    const job = await eventually(
      async () => {
        const r = await get(`/v1/jobs/${requestId}`, keyA);
        return r.status === 200 ? r.body : undefined;
      },
      30_000,
      "A's job",
    );
    expect(job).toMatchObject({ requestId, model: `sentiment-${A}` });
    expect((await get(`/v1/jobs/${requestId}`, keyB)).status).toBe(404);
    expect((await get('/v1/jobs', keyA)).body.items.map((j: any) => j.requestId)).toContain(requestId);
    expect((await get('/v1/jobs', keyB)).body.items).toEqual([]);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const audit = await sql.query(`SELECT tenant_id, principal, action, target FROM training.audit_log`);
      expect(audit.rows).toEqual([
        { tenant_id: A, principal: `key:${keyAId}`, action: 'training.submit', target: `job ${requestId}` },
      ]);
      const jobs = await sql.query(`SELECT requested_by FROM training.jobs WHERE request_id = $1`, [
        requestId,
      ]);
      expect(jobs.rows).toEqual([{ requested_by: `key:${keyAId}` }]);
    } finally {
      await sql.end();
    }
  });

  it("gets 404 for A's experiment run and its metrics and does not list it", async () => {
    const runId = await eventually(
      async () => {
        const { body } = await get('/v1/jobs', keyA);
        const withRun = body.items.find((j: any) => j.runId);
        if (!withRun) return undefined;
        const run = await get(`/v1/runs/${withRun.runId}`, keyA);
        return run.body.series?.some((s: any) => s.name === 'epoch/loss')
          ? (withRun.runId as string)
          : undefined;
      },
      60_000,
      "A's run with its first epoch",
    );
    expect((await get(`/v1/runs/${runId}`, keyA)).body).toMatchObject({ runId, model: `sentiment-${A}` });
    expect((await get(`/v1/runs/${runId}/metrics?name=epoch/loss`, keyA)).status).toBe(200);
    expect((await get(`/v1/runs/${runId}`, keyB)).status).toBe(404);
    expect((await get(`/v1/runs/${runId}/metrics`, keyB)).status).toBe(404);
    expect((await get('/v1/runs', keyA)).body.items.map((r: any) => r.runId)).toContain(runId);
    expect((await get('/v1/runs', keyB)).body.items).toEqual([]);
  });

  it('needs training:read to read jobs and training:write to submit them', async () => {
    const reader = bearer((await keys.create({ tenantId: A, scopes: ['training:read'] })).token);
    expect((await get('/v1/jobs', reader)).status).toBe(200);
    const refused = await fetch(`${training.url}/v1/jobs`, {
      method: 'POST',
      headers: { ...reader, 'content-type': 'application/json' },
      body: JSON.stringify({ modelName: 'x', kind: 'sentiment', datasetRef: 'file:/x.csv' }),
    });
    expect(refused.status).toBe(403);
    const writer = bearer((await keys.create({ tenantId: A, scopes: ['training:write'] })).token);
    expect((await get('/v1/jobs', writer)).status).toBe(403);
    expect((await get('/v1/runs', reader)).status).toBe(200);
    expect((await get('/v1/runs', writer)).status).toBe(403);
  });
});
