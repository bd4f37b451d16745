// The model registry as a user drives it: the built service process on the real broker and a fresh
// Postgres database, over HTTP — registration of real TF.js artifacts (idempotent, all-or-nothing,
// concurrent), checksum-verified downloads (tampered bytes refused), promotion with and without a
// policy, rollback, history, archiving, 4xx cases — and the ModelEvents it publishes on
// models.lifecycle.v1, read back with a kafkajs consumer.
import { fromBinary } from '@bufbuild/protobuf';
import {
  Headers,
  ModelEventSchema,
  ModelEventType,
  ModelKind,
  Topics,
  type ModelEvent,
} from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  testKafka,
  uniqueSuffix,
  type TestDatabase,
} from '@mercato/dev-stack';
import type { Consumer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, lineage, sha256, startRegistry, tfjsArtifact, type RegistryProcess } from './registry-harness';

let db: TestDatabase;
let sql: pg.Client;
let registry: RegistryProcess;
let http: ReturnType<typeof api>;
let consumer: Consumer;
const suffix = uniqueSuffix();
const SENTIMENT = `sentiment-${suffix}`;
const RECS = `recs-${suffix}`;
const events: { event: ModelEvent; eventIdHeader: string; key: string }[] = [];

beforeAll(async () => {
  db = await createTestDatabase('model_registry');
  registry = await startRegistry(db.url, { PROMOTION_POLICY_RECOMMENDER: 'ndcg_at_10:0.005' });
  http = api(registry.url);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  consumer = testKafka().consumer({ groupId: `test-registry-${suffix}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.modelLifecycle.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      if (!key.endsWith(suffix)) return;
      events.push({
        event: fromBinary(ModelEventSchema, message.value ?? new Uint8Array()),
        eventIdHeader: message.headers?.[Headers.eventId]?.toString() ?? '',
        key,
      });
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  const code = await registry?.stop();
  await sql?.end();
  await db?.drop();
  expect(code).toBe(0);
});

const register = (name: string, body: Record<string, unknown>) =>
  http.post(`/v1/models/${name}/versions`, body);

describe('model registry over HTTP', () => {
  it('publishes its OpenAPI document and a docs page', async () => {
    const doc = await http.get('/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/models',
        '/v1/models/{name}',
        '/v1/models/{name}/versions',
        '/v1/models/{name}/versions/{version}',
        '/v1/models/{name}/promote',
        '/v1/models/{name}/rollback',
        '/v1/models/{name}/aliases/{alias}/history',
      ]),
    );
    const register = doc.body.paths['/v1/models/{name}/versions'].post;
    expect(register.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['lineage', 'idempotencyKey', 'files']),
    );
    expect((await http.get('/v1/openapi.json')).body.info.title).toBe('Mercato model registry');
    const page = await http.get('/docs');
    expect(page.status).toBe(200);
    expect(page.bytes.toString()).toContain('swagger-ui-bundle.js');
    expect((await http.get('/docs/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('creates models, refusing duplicates and malformed names or kinds', async () => {
    const created = await http.post('/v1/models', {
      name: SENTIMENT,
      kind: 'sentiment',
      description: 'news sentiment',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: SENTIMENT,
      kind: 'sentiment',
      tenantId: 'default',
      latestVersion: 0,
      aliases: {},
    });
    expect((await http.post('/v1/models', { name: RECS, kind: 'recommender' })).status).toBe(201);

    const dup = await http.post('/v1/models', { name: SENTIMENT, kind: 'sentiment' });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toBe('model_exists');

    const bad = await http.post('/v1/models', { name: 'Bad Name!', kind: 'vision' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: 'name', reason: expect.stringContaining('^[a-z0-9][a-z0-9-_.]{0,62}$') },
      { field: 'kind', reason: 'must be one of sentiment, recommender' },
    ]);
    expect((await http.post('/v1/models', { name: `x${'y'.repeat(63)}`, kind: 'sentiment' })).status).toBe(
      400,
    );

    const list = await http.get('/v1/models?limit=1000');
    expect(list.body.items.map((m: { name: string }) => m.name)).toEqual(
      expect.arrayContaining([SENTIMENT, RECS]),
    );
    expect(
      (await http.get('/v1/models?kind=recommender')).body.items.map((m: { name: string }) => m.name),
    ).toEqual([RECS]);
  });

  it('registers a version with its files, idempotently, and serves the bytes with their checksum', async () => {
    const artifact = tfjsArtifact({ seed: 1 });
    const body = {
      metrics: { macro_f1: 0.81, accuracy: 0.84 },
      lineage: lineage({ trainingRequestId: `req-${suffix}-1` }),
      idempotencyKey: `req-${suffix}-1`,
      files: artifact.files,
    };
    const first = await register(SENTIMENT, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      model: SENTIMENT,
      kind: 'sentiment',
      version: 1,
      status: 'registered',
      metrics: { macro_f1: 0.81, accuracy: 0.84 },
      lineage: { datasetHash: body.lineage.datasetHash, codeVersion: 'git:52ebbe3', backend: 'tensorflow' },
      idempotencyKey: `req-${suffix}-1`,
      fileCount: 4,
      artifactUri: `/v1/models/${SENTIMENT}/versions/1/files/model.json`,
    });
    expect(first.body.files).toEqual(
      [...artifact.bytes]
        .map(([path, b]) => ({
          path,
          sha256: sha256(b),
          size: b.length,
          role: path === 'model.json' ? 'model' : path === 'manifest.json' ? 'manifest' : 'weights',
          url: `/v1/models/${SENTIMENT}/versions/1/files/${path}`,
        }))
        .sort((a, b) => a.path.localeCompare(b.path)),
    );

    const again = await register(SENTIMENT, body);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    const reused = await register(SENTIMENT, { ...body, metrics: { macro_f1: 0.99 } });
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ error: 'idempotency_key_reused', version: 1 });
    expect((await http.get(`/v1/models/${SENTIMENT}/versions`)).body.items).toHaveLength(1);

    for (const [path, bytes] of artifact.bytes) {
      const file = await http.get(`/v1/models/${SENTIMENT}/versions/1/files/${path}`);
      expect(file.status).toBe(200);
      expect(file.bytes.equals(bytes)).toBe(true);
      expect(file.headers.get('x-checksum-sha256')).toBe(sha256(bytes));
      expect(sha256(file.bytes)).toBe(file.headers.get('x-checksum-sha256'));
    }
    const modelJson = await http.get(`/v1/models/${SENTIMENT}/versions/1/files/model.json`);
    expect(modelJson.headers.get('content-type')).toContain('application/json');
    expect(modelJson.body.weightsManifest[0].paths).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
  });

  it('keeps files in nested folders and checks lineage parents', async () => {
    const artifact = tfjsArtifact({ seed: 2 });
    const res = await register(SENTIMENT, {
      metrics: { macro_f1: 0.86 },
      lineage: lineage({ parent: { model: SENTIMENT, version: 1 } }),
      idempotencyKey: `req-${suffix}-2`,
      files: [
        ...artifact.files,
        { path: 'assets/vocab.txt', contentBase64: Buffer.from('profit\nloss\n').toString('base64') },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(2);
    const nested = await http.get(`/v1/models/${SENTIMENT}/versions/2/files/assets/vocab.txt`);
    expect(nested.status).toBe(200);
    expect(nested.bytes.toString()).toBe('profit\nloss\n');

    const orphan = await register(SENTIMENT, {
      lineage: lineage({ parent: { model: SENTIMENT, version: 99 } }),
      idempotencyKey: `req-${suffix}-orphan`,
      files: tfjsArtifact({ seed: 3 }).files,
    });
    expect(orphan.status).toBe(400);
    expect(orphan.body.errors).toEqual([
      { field: 'lineage.parent', reason: `model "${SENTIMENT}" has no version 99 in the registry` },
    ]);
  });

  it('refuses bad uploads with 4xx naming the field and the reason, and registers nothing', async () => {
    const ok = tfjsArtifact({ seed: 4 }).files;
    const withFile = (path: string) => [...ok, { path, contentBase64: 'AAAA' }];
    const attempt = (files: unknown, extra: Record<string, unknown> = {}) =>
      register(SENTIMENT, { lineage: lineage(), idempotencyKey: `bad-${Math.random()}`, files, ...extra });

    const cases: [unknown, string, RegExp][] = [
      [withFile('../x'), 'files[4].path', /must not contain "\.\."/],
      [withFile('assets/../../x'), 'files[4].path', /must not contain "\.\."/],
      [withFile('/etc/passwd'), 'files[4].path', /must be relative, not absolute/],
      [withFile('assets\\x.bin'), 'files[4].path', /not backslashes/],
      [withFile('./model.json'), 'files[4].path', /normalized/],
      [ok.filter((f) => f.path !== 'model.json'), 'files', /model\.json .* is required/],
      [ok.filter((f) => f.path !== 'manifest.json'), 'files', /manifest\.json is required/],
      [
        ok.filter((f) => f.path !== 'group1-shard2of2.bin'),
        'files',
        /weight file "group1-shard2of2\.bin" named by model\.json is not uploaded/,
      ],
      [
        [...ok.slice(0, 3), { path: 'manifest.json', contentBase64: 'not base64!' }],
        'files[3].contentBase64',
        /base64/,
      ],
      [
        ok.map((f) => (f.path === 'group1-shard1of2.bin' ? { ...f, contentBase64: 'AAAA' } : f)),
        'files[model.json]',
        /declares 108 bytes of weights but its shards hold 57 bytes/,
      ],
    ];
    for (const [files, field, reason] of cases) {
      const res = await attempt(files);
      expect({ status: res.status, field: res.body.errors?.[0]?.field }).toEqual({ status: 400, field });
      expect(res.body.errors[0].reason).toMatch(reason);
    }
    const noLineage = await register(SENTIMENT, { idempotencyKey: 'k', files: ok });
    expect(noLineage.status).toBe(400);
    expect(noLineage.body.errors).toEqual([{ field: 'lineage', reason: expect.any(String) }]);
    const badMetric = await attempt(ok, { metrics: { macro_f1: 'high' } });
    expect(badMetric.body.errors).toEqual([
      { field: 'metrics.macro_f1', reason: 'metric values must be finite numbers' },
    ]);

    expect(
      (await register(`missing-${suffix}`, { lineage: lineage(), idempotencyKey: 'k', files: ok })).status,
    ).toBe(404);
    expect(
      (await register('Not_A_Name', { lineage: lineage(), idempotencyKey: 'k', files: ok })).status,
    ).toBe(400);
    expect((await http.get(`/v1/models/missing-${suffix}`)).status).toBe(404);
    expect((await http.get('/v1/models/UPPER')).body.errors[0].field).toBe('name');
    expect((await http.get(`/v1/models/${SENTIMENT}/versions/99`)).status).toBe(404);
    expect((await http.get(`/v1/models/${SENTIMENT}/versions/one`)).body.errors).toEqual([
      { field: 'version', reason: 'must be a positive integer version number' },
    ]);
    expect((await http.get(`/v1/models/${SENTIMENT}/versions/1/files/nope.bin`)).status).toBe(404);
    const traversal = await http.get(`/v1/models/${SENTIMENT}/versions/1/files/..%2F..%2Fetc%2Fpasswd`);
    expect(traversal.status).toBe(400);
    expect(traversal.body.errors[0].field).toBe('path');

    expect((await http.get(`/v1/models/${SENTIMENT}`)).body.latestVersion).toBe(2);
  });

  it('numbers concurrent registrations without collisions, and dedupes concurrent retries', async () => {
    const distinct = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        register(SENTIMENT, {
          metrics: { macro_f1: 0.5 },
          lineage: lineage(),
          idempotencyKey: `parallel-${suffix}-${i}`,
          files: tfjsArtifact({ seed: 100 + i }).files,
        }),
      ),
    );
    expect(distinct.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(distinct.map((r) => r.body.version as number).sort((a, b) => a - b)).toEqual([
      3, 4, 5, 6, 7, 8, 9, 10,
    ]);

    const body = {
      lineage: lineage(),
      idempotencyKey: `same-${suffix}`,
      files: tfjsArtifact({ seed: 200 }).files,
    };
    const same = await Promise.all(Array.from({ length: 5 }, () => register(SENTIMENT, body)));
    expect(same.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(same.map((r) => r.body.version))).toEqual(new Set([11]));
    expect((await http.get(`/v1/models/${SENTIMENT}`)).body.latestVersion).toBe(11);
  });

  it('refuses to serve bytes changed at rest, with a clear error and a metric', async () => {
    await sql.query(
      `UPDATE model_registry.artifacts a SET content = overlay(content placing '\\xff'::bytea from 5)
       FROM model_registry.versions v JOIN model_registry.models m ON m.id = v.model_id
       WHERE a.version_id = v.id AND m.name = $1 AND v.version = 3 AND a.path = 'group1-shard1of2.bin'`,
      [SENTIMENT],
    );
    const res = await http.get(`/v1/models/${SENTIMENT}/versions/3/files/group1-shard1of2.bin`);
    expect(res.status).toBe(500);
    expect(res.headers.get('x-checksum-sha256')).toBeNull();
    expect(res.body).toMatchObject({ error: 'artifact_corrupted' });
    expect(res.body.message).toMatch(
      /do not match the SHA-256 recorded at registration .*the file was not served/,
    );
    const metrics = (await http.get('/metrics')).bytes.toString();
    expect(metrics).toMatch(
      new RegExp(`mercato_model_registry_artifact_checksum_failures_total\\{model="${SENTIMENT}"[^}]*\\} 1`),
    );
    // Other files of the version are intact and still served.
    expect((await http.get(`/v1/models/${SENTIMENT}/versions/3/files/model.json`)).status).toBe(200);
  });

  it('promotes with and without a policy, rolls back step by step, and keeps the history', async () => {
    const promote = (body: Record<string, unknown>) => http.post(`/v1/models/${SENTIMENT}/promote`, body);

    const p1 = await promote({ version: 1, reason: 'first model' });
    expect(p1.status).toBe(200);
    expect(p1.body).toMatchObject({
      outcome: 'promoted',
      version: 1,
      previousVersion: null,
      alias: 'production',
    });

    const policy = { metric: 'macro_f1', margin: 0.02, higherIsBetter: true };
    const p2 = await promote({ version: 2, policy });
    expect(p2.status).toBe(200);
    expect(p2.body).toMatchObject({ outcome: 'promoted', version: 2, previousVersion: 1 });
    expect(p2.body.decision).toMatchObject({ promote: true, challengerValue: 0.86, championValue: 0.81 });

    const worse = await promote({ version: 3, policy });
    expect(worse.status).toBe(409);
    expect(worse.body).toMatchObject({
      outcome: 'rejected',
      version: 2,
      previousVersion: 2,
      requestedVersion: 3,
    });
    expect(worse.body.reason).toMatch(/v3 macro_f1 0\.5 vs production v2 0\.86 .*does not beat the champion/);
    expect((await http.get(`/v1/models/${SENTIMENT}/aliases/production`)).body.version).toBe(2);

    const same = await promote({ version: 2 });
    expect(same.body).toMatchObject({ outcome: 'unchanged', version: 2 });

    const forced = await promote({ version: 3, reason: 'hotfix' });
    expect(forced.body).toMatchObject({
      outcome: 'promoted',
      version: 3,
      previousVersion: 2,
      reason: 'hotfix',
    });
    expect(
      (await http.post(`/v1/models/${SENTIMENT}/promote`, { version: 4, alias: 'staging' })).status,
    ).toBe(200);

    const alias = await http.get(`/v1/models/${SENTIMENT}/aliases/production`);
    expect(alias.body).toMatchObject({
      version: 3,
      artifactUri: `/v1/models/${SENTIMENT}/versions/3/files/model.json`,
    });
    const model = await http.get(`/v1/models/${SENTIMENT}`);
    expect(model.body.aliases).toEqual({ production: 3, staging: 4 });
    expect(model.body.versions[0]).toMatchObject({ version: 11 });
    expect(model.body.versions.find((v: { version: number }) => v.version === 3).aliases).toEqual([
      'production',
    ]);

    // A conditional rollback from a version the alias has left moves nothing (replicas asking twice).
    const stale = await http.post(`/v1/models/${SENTIMENT}/rollback`, { fromVersion: 2 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: 'already_moved' });
    const stalePromotion = await http.post(`/v1/models/${SENTIMENT}/promote`, {
      version: 1,
      force: true,
      fromVersion: 2,
    });
    expect(stalePromotion.status).toBe(409);
    expect(stalePromotion.body).toMatchObject({ error: 'already_moved' });
    expect((await http.get(`/v1/models/${SENTIMENT}/aliases/production`)).body.version).toBe(3);
    const r1 = await http.post(`/v1/models/${SENTIMENT}/rollback`, {
      reason: 'latency regression',
      fromVersion: 3,
    });
    expect(r1.body).toMatchObject({ outcome: 'rolled_back', version: 2, previousVersion: 3 });
    const r2 = await http.post(`/v1/models/${SENTIMENT}/rollback`, {});
    expect(r2.body).toMatchObject({ outcome: 'rolled_back', version: 1, previousVersion: 2 });
    const r3 = await http.post(`/v1/models/${SENTIMENT}/rollback`, {});
    expect(r3.status).toBe(409);
    expect(r3.body).toMatchObject({ error: 'nothing_to_roll_back' });
    expect((await http.get(`/v1/models/${SENTIMENT}/aliases/production`)).body.version).toBe(1);
    const shadow = await http.post(`/v1/models/${SENTIMENT}/rollback`, { alias: 'shadow' });
    expect(shadow.status).toBe(409);

    const history = await http.get(`/v1/models/${SENTIMENT}/aliases/production/history`);
    expect(
      history.body.items.map((h: Record<string, unknown>) => [h.action, h.fromVersion, h.toVersion, h.actor]),
    ).toEqual([
      ['rollback', 2, 1, 'development'],
      ['rollback', 3, 2, 'development'],
      ['promote', 2, 3, 'development'],
      // The refusal is history too: production stayed on v2, v3 was refused, with the figures.
      ['rejected', 2, 3, 'development'],
      ['promote', 1, 2, 'development'],
      ['promote', null, 1, 'development'],
    ]);
    expect(history.body.items[3].decision).toMatchObject({
      promote: false,
      policy,
      challengerValue: 0.5,
      championValue: 0.86,
      championMeasuredOn: 'registered',
    });
    expect(history.body.items[4].decision).toMatchObject({ promote: true, policy });
    expect(history.body.items[2].revertedBy).toBe(history.body.items[1].id);
    expect(history.body.items[1].reason).toBe('latency regression');

    expect((await http.get(`/v1/models/${SENTIMENT}/aliases/shadow`)).status).toBe(404);
    expect((await http.get(`/v1/models/${SENTIMENT}/aliases/canary`)).body.errors[0]).toEqual({
      field: 'alias',
      reason: 'must be one of production, staging, shadow',
    });
    expect((await promote({ version: 99 })).status).toBe(404);
    // Who acted comes from the credential (here the development principal): a body `actor` is ignored.
    const claimed = await http.post(`/v1/models/${SENTIMENT}/promote`, { version: 1, actor: 'the-ceo' });
    expect(claimed.body.outcome).toBe('unchanged');
    const audit = await sql.query(
      `SELECT principal, action, target, outcome FROM model_registry.audit_log WHERE target = $1 ORDER BY id`,
      [`${SENTIMENT}@production`],
    );
    expect(audit.rows.map((r) => r.principal)).not.toContain('the-ceo');
    expect(audit.rows.at(-1)).toEqual({
      principal: 'development',
      action: 'model.promote',
      target: `${SENTIMENT}@production`,
      outcome: 'unchanged',
    });
  });

  it("applies the kind's default policy from the environment unless forced", async () => {
    const reg = (i: number, ndcg: number) =>
      register(RECS, {
        metrics: { ndcg_at_10: ndcg },
        lineage: lineage({ backend: 'wasm' }),
        idempotencyKey: `recs-${suffix}-${i}`,
        files: tfjsArtifact({ seed: 300 + i }).files,
      });
    await reg(1, 0.3);
    await reg(2, 0.302);
    await reg(3, 0.32);
    expect((await http.post(`/v1/models/${RECS}/promote`, { version: 1 })).body.outcome).toBe('promoted');
    const small = await http.post(`/v1/models/${RECS}/promote`, { version: 2 });
    expect(small.status).toBe(409);
    expect(small.body.decision.policy).toEqual({ metric: 'ndcg_at_10', margin: 0.005, higherIsBetter: true });
    const better = await http.post(`/v1/models/${RECS}/promote`, { version: 3 });
    expect(better.body).toMatchObject({ outcome: 'promoted', version: 3 });
    const forced = await http.post(`/v1/models/${RECS}/promote`, {
      version: 2,
      force: true,
    });
    expect(forced.body).toMatchObject({
      outcome: 'promoted',
      version: 2,
      previousVersion: 3,
      decision: null,
    });
  });

  it('archives versions no alias points to, and never promotes them', async () => {
    const held = await http.post(`/v1/models/${SENTIMENT}/versions/1/archive`, {});
    expect(held.status).toBe(409);
    expect(held.body).toMatchObject({ error: 'version_in_use', aliases: ['production'] });
    const archived = await http.post(`/v1/models/${SENTIMENT}/versions/5/archive`, {
      reason: 'superseded',
    });
    expect(archived.body).toMatchObject({ outcome: 'archived', version: 5 });
    expect((await http.post(`/v1/models/${SENTIMENT}/versions/5/archive`, {})).body.outcome).toBe(
      'unchanged',
    );
    expect((await http.get(`/v1/models/${SENTIMENT}/versions/5`)).body.status).toBe('archived');
    const promote = await http.post(`/v1/models/${SENTIMENT}/promote`, { version: 5 });
    expect(promote.status).toBe(409);
    expect(promote.body.error).toBe('version_archived');
  });

  it('publishes every change as a ModelEvent on models.lifecycle.v1, after commit, once each', async () => {
    const ofModel = (name: string) => events.filter((e) => e.key === name).map((e) => e.event);
    await eventually(
      async () =>
        ofModel(SENTIMENT).length >= 11 + 7 + 1 && ofModel(RECS).length >= 3 + 4 ? true : undefined,
      30_000,
      'lifecycle events',
    );
    const sentiment = ofModel(SENTIMENT);
    const registered = sentiment.filter((e) => e.type === ModelEventType.REGISTERED);
    expect(registered.map((e) => Number(e.version)).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    ]);
    expect(registered.find((e) => e.version === '1')).toMatchObject({
      tenantId: 'default',
      modelName: SENTIMENT,
      kind: ModelKind.SENTIMENT,
      metrics: { macro_f1: 0.81, accuracy: 0.84 },
      artifactUri: `/v1/models/${SENTIMENT}/versions/1/files/model.json`,
      reason: `training request req-${suffix}-1`,
    });

    const moves = sentiment
      .filter((e) => e.type === ModelEventType.PROMOTED && e.alias === 'production')
      .map((e) => [e.previousVersion, e.version, e.reason]);
    expect(moves).toEqual([
      ['', '1', 'first model'],
      ['1', '2', expect.stringContaining('beats the champion')],
      ['2', '3', 'hotfix'],
      ['3', '2', 'rollback from v3: latency regression'],
      ['2', '1', 'rollback from v2'],
    ]);
    expect(sentiment.filter((e) => e.type === ModelEventType.ARCHIVED).map((e) => e.version)).toEqual(['5']);
    // Every decision is an event with its figures: the refusal of v3 too.
    const refusals = sentiment.filter((e) => e.type === ModelEventType.PROMOTION_REJECTED);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      version: '3',
      previousVersion: '2',
      alias: 'production',
      reason: expect.stringContaining('does not beat the champion'),
      decision: {
        metric: 'macro_f1',
        margin: 0.02,
        higherIsBetter: true,
        challengerValue: 0.5,
        championValue: 0.86,
        championMeasuredOn: 'registered',
      },
    });
    expect(
      sentiment.find(
        (e) => e.type === ModelEventType.PROMOTED && e.version === '2' && e.previousVersion === '1',
      )?.decision,
    ).toMatchObject({ metric: 'macro_f1', challengerValue: 0.86, championValue: 0.81 });
    expect(
      ofModel(RECS)
        .filter((e) => e.type === ModelEventType.PROMOTED)
        .map((e) => e.version),
    ).toEqual(['1', '3', '2']);
    expect(ofModel(RECS)[0].kind).toBe(ModelKind.RECOMMENDER);

    // Header and payload carry the same stable id; no event was published twice.
    for (const e of events) expect(e.eventIdHeader).toBe(e.event.eventId);
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(events.length);
    const history = await http.get(`/v1/models/${SENTIMENT}/aliases/production/history`);
    const promotedIds = new Set(sentiment.map((e) => e.eventId));
    for (const h of history.body.items) expect(promotedIds.has(h.eventId)).toBe(true);

    const { rows } = await sql.query(
      'SELECT count(*)::int AS pending FROM model_registry.outbox WHERE sent_at IS NULL',
    );
    expect(rows[0].pending).toBe(0);
  });

  it('judges a shadow candidate against production, and decides on online evidence with its figures', async () => {
    const ONLINE = `recs-online-${suffix}`;
    expect((await http.post('/v1/models', { name: ONLINE, kind: 'recommender' })).status).toBe(201);
    for (const [i, ndcg] of [0.3, 0.31, 0.29].entries())
      await register(ONLINE, {
        metrics: { ndcg_at_10: ndcg },
        lineage: lineage({ backend: 'wasm' }),
        idempotencyKey: `online-${suffix}-${i}`,
        files: tfjsArtifact({ seed: 400 + i }).files,
      });
    const promote = (body: Record<string, unknown>) => http.post(`/v1/models/${ONLINE}/promote`, body);
    expect((await promote({ version: 1 })).body.outcome).toBe('promoted');
    // Shadow: the default policy compares with production (v1), not with whatever shadow held.
    expect((await promote({ version: 2, alias: 'shadow' })).body).toMatchObject({ outcome: 'promoted' });
    const worse = await promote({ version: 3, alias: 'shadow' });
    expect(worse.status).toBe(409);
    expect(worse.body.reason).toContain('vs production v1');

    // Online: the figures decide (not the policy), against their own minimum sample and margin.
    const online = {
      metric: 'online_hit_rate',
      challengerValue: 0.2,
      championValue: 0.22,
      sample: 80,
      minSample: 50,
    };
    const strict = await promote({ version: 2, fromVersion: 1, online: { ...online, margin: 0 } });
    expect(strict.status).toBe(409);
    expect(strict.body).toMatchObject({
      outcome: 'rejected',
      decision: {
        promote: false,
        championMeasuredOn: 'online',
        sample: 80,
        challengerValue: 0.2,
        championValue: 0.22,
      },
    });
    const tolerant = await promote({ version: 2, fromVersion: 1, online: { ...online, margin: -0.05 } });
    expect(tolerant.body).toMatchObject({
      outcome: 'promoted',
      previousVersion: 1,
      decision: {
        promote: true,
        championMeasuredOn: 'online',
        policy: { metric: 'online_hit_rate', margin: -0.05, minSample: 50 },
      },
    });
    const history = await http.get(`/v1/models/${ONLINE}/aliases/production/history`);
    expect(history.body.items.map((h: any) => [h.action, h.decision?.championMeasuredOn])).toEqual([
      ['promote', 'online'],
      ['rejected', 'online'],
      ['promote', undefined],
    ]);

    // Each verdict is an event with its figures.
    const verdicts = await eventually(
      async () => {
        const mine = events.filter(
          (e) => e.key === ONLINE && e.event.decision?.championMeasuredOn === 'online',
        );
        return mine.length === 2 ? mine.map((e) => e.event) : undefined;
      },
      10_000,
      'the online verdicts on models.lifecycle.v1',
    );
    expect(verdicts.map((e) => [e.type, e.version, e.decision?.sample, e.decision?.margin])).toEqual([
      [ModelEventType.PROMOTION_REJECTED, '2', 80, 0],
      [ModelEventType.PROMOTED, '2', 80, -0.05],
    ]);

    const bad = await promote({ version: 3, online: { ...online, sample: -1, margin: 'none' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['online.margin', 'online.sample']);
  });

  it('stops at start-up naming a bad promotion policy variable', async () => {
    await expect(
      startRegistry(db.url, { PROMOTION_POLICY_SENTIMENT: 'macro_f1', PUBLIC_URL: 'nope' }),
    ).rejects.toThrow(
      /exited early \(78\)[\s\S]*PROMOTION_POLICY_SENTIMENT: expected metric:margin[\s\S]*PUBLIC_URL/,
    );
  });
});
