// The retraining triggers' one-job-per-model guard, on a real Postgres with the training schema's
// migrations: a due tenant is claimed once; while its request waits for a job, while that job runs,
// and while any other job of the same model runs, no further retrain is decided (its counter keeps
// growing); once the job ends the next one is. A request that never became a job stops blocking
// after PENDING_REQUEST_TIMEOUT_S.
import { Database, migrate } from '@mercato/db';
import { createTestDatabase, REPO_ROOT, type TestDatabase } from '@mercato/dev-stack';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PENDING_REQUEST_TIMEOUT_S, RetrainRepository } from '../src/retrain.repository';
import { recommenderModelName, retrainRequestId } from '../src/retrain.service';
import { TrainingJobRepository } from '../src/training-job.repository';

const logger = pino({ level: 'silent' });
let testDb: TestDatabase;
let db: Database;
let counters: RetrainRepository;
let jobs: TrainingJobRepository;
let seq = 0;

const interactions = (tenantId: string, n: number) =>
  Array.from({ length: n }, () => ({ tenantId, interactionId: `i-${++seq}` }));

const due = (tenantId: string) =>
  counters.claimDue({ tenants: [tenantId], afterInteractions: 3, intervalSeconds: 0 });

const startJob = (tenantId: string, requestId: string) =>
  jobs.claim({
    request_id: requestId,
    tenant_id: tenantId,
    model_name: recommenderModelName(tenantId),
    kind: 'recommender',
    dataset_ref: 'feature:interactions',
    hyperparameters: {},
    requested_by: 'test',
    architecture: null,
  });

const pending = async (tenantId: string): Promise<number> =>
  Number(
    (
      await db.query<{ pending: string }>('SELECT pending FROM retrain_counters WHERE tenant_id = $1', [
        tenantId,
      ])
    )[0]?.pending,
  );

beforeAll(async () => {
  testDb = await createTestDatabase('retrainguard');
  await migrate({
    url: testDb.url,
    schema: 'training',
    dir: join(REPO_ROOT, 'services/training/migrations'),
    logger,
  });
  db = new Database({ url: testDb.url, schema: 'training', logger });
  counters = new RetrainRepository(db);
  jobs = new TrainingJobRepository(db);
}, 60_000);

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe('retrain triggers: one job per model at a time', () => {
  it('holds the next retrain while the previous request waits or runs, and decides it once the job ends', async () => {
    const tenant = 'shop';
    await counters.count(interactions(tenant, 4));
    const [first] = await due(tenant);
    expect(first).toMatchObject({ tenantId: tenant, generation: 1 });
    await counters.markPublished(tenant, 1);

    // Published, not yet a job (queued behind other tenants' jobs): held.
    await counters.count(interactions(tenant, 5));
    expect(await due(tenant)).toEqual([]);
    // Its job running: held, the counter keeps counting.
    await startJob(tenant, retrainRequestId(tenant, 1));
    await counters.count(interactions(tenant, 2));
    expect(await due(tenant)).toEqual([]);
    expect(await pending(tenant)).toBe(7);
    // The job ends (a failure counts too): the next retrain is decided, with everything counted since.
    await jobs.fail(retrainRequestId(tenant, 1), 'feature service unreachable');
    expect(await due(tenant)).toEqual([expect.objectContaining({ tenantId: tenant, generation: 2 })]);
    expect(await pending(tenant)).toBe(0);
    await counters.markPublished(tenant, 2);
    await startJob(tenant, retrainRequestId(tenant, 2));
    await jobs.succeed(retrainRequestId(tenant, 2), { metrics: {}, version: 1 });

    // A job an operator submitted for the same model holds the trigger too.
    await startJob(tenant, 'operator-job');
    await counters.count(interactions(tenant, 4));
    expect(await due(tenant)).toEqual([]);
    await jobs.succeed('operator-job', { metrics: {}, version: 2 });
    expect(await due(tenant)).toEqual([expect.objectContaining({ generation: 3 })]);
  });

  it('lets a request that never became a job go after the timeout', async () => {
    const tenant = 'lost';
    await counters.count(interactions(tenant, 4));
    await due(tenant);
    await counters.markPublished(tenant, 1);
    await counters.count(interactions(tenant, 4));
    expect(await due(tenant)).toEqual([]);
    await db.query(
      `UPDATE retrain_counters SET requested_as_of = now() - make_interval(secs => $2) WHERE tenant_id = $1`,
      [tenant, PENDING_REQUEST_TIMEOUT_S + 60],
    );
    expect(await due(tenant)).toEqual([expect.objectContaining({ generation: 2 })]);
  });

  it('does not hold other tenants', async () => {
    await startJob('busy', retrainRequestId('busy', 1));
    await counters.count(interactions('calm', 3));
    expect(await due('calm')).toEqual([expect.objectContaining({ tenantId: 'calm', generation: 1 })]);
  });
});
