// Crash safety of the registry process on the real database and broker: SIGKILL while a large
// registration is inside its transaction, or while its body is still uploading, leaves no version,
// no file and no event behind (and no gap in version numbers); SIGKILL after a commit but before the
// event is published loses nothing — the outbox publishes it after the restart.
import { fromBinary } from '@bufbuild/protobuf';
import { ModelEventSchema, ModelEventType, Topics, type ModelEvent } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  testKafka,
  uniqueSuffix,
  type TestDatabase,
} from '@mercato/dev-stack';
import type { Consumer } from 'kafkajs';
import { request } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, lineage, sha256, startRegistry, tfjsArtifact, type RegistryProcess } from './registry-harness';

let db: TestDatabase;
let sql: pg.Client;
let consumer: Consumer;
const running: RegistryProcess[] = [];
const suffix = uniqueSuffix();
const events: ModelEvent[] = [];

async function start(): Promise<{ registry: RegistryProcess; http: ReturnType<typeof api> }> {
  const registry = await startRegistry(db.url);
  running.push(registry);
  return { registry, http: api(registry.url) };
}

async function kill9(registry: RegistryProcess): Promise<void> {
  registry.child.kill('SIGKILL');
  await registry.exit;
}

async function stored(name: string) {
  const { rows } = await sql.query<{ latest: number; versions: number; files: number; events: number }>(
    `SELECT m.latest_version AS latest,
       (SELECT count(*)::int FROM model_registry.versions v WHERE v.model_id = m.id) AS versions,
       (SELECT count(*)::int FROM model_registry.artifacts a JOIN model_registry.versions v ON v.id = a.version_id
         WHERE v.model_id = m.id) AS files,
       (SELECT count(*)::int FROM model_registry.outbox o WHERE o.message_key = m.name) AS events
     FROM model_registry.models m WHERE m.name = $1`,
    [name],
  );
  return rows[0];
}

/** About 48 MB of weights in 12 shards: some seconds of work for the registration transaction. */
const bigArtifact = () => tfjsArtifact({ inputs: 4_000_000, shards: 12, random: true });

beforeAll(async () => {
  db = await createTestDatabase('model_registry_crash');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  consumer = testKafka().consumer({ groupId: `test-registry-crash-${suffix}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.modelLifecycle.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString().endsWith(suffix))
        events.push(fromBinary(ModelEventSchema, message.value ?? new Uint8Array()));
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) await r.stop();
  await sql?.end();
  await db?.drop();
});

describe('registration when the registry process is killed', () => {
  it('SIGKILL inside the registration transaction of a 48 MB upload leaves no version behind', async () => {
    const name = `crash-tx-${suffix}`;
    const { registry, http } = await start();
    expect((await http.post('/v1/models', { name, kind: 'sentiment' })).status).toBe(201);
    const artifact = bigArtifact();
    const body = { lineage: lineage(), idempotencyKey: `req-${suffix}`, files: artifact.files };

    // Hold back the last statement of the transaction (the outbox insert comes after the version and
    // every file): the registration is then provably mid-transaction when the process dies.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE model_registry.outbox IN SHARE ROW EXCLUSIVE MODE');
      const upload = http.post(`/v1/models/${name}/versions`, body).catch((err: unknown) => err);
      const backend = await Promise.race([
        eventually(
          async () => {
            const { rows } = await sql.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'mercato-model_registry'
                 AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO outbox%'`,
              [db.name],
            );
            return rows[0]?.pid;
          },
          60_000,
          'the registration transaction to reach its outbox insert',
        ),
        upload.then((res) => {
          throw new Error(`the upload ended before the kill: ${JSON.stringify(res)}`);
        }),
      ]);
      await kill9(registry);
      expect(await upload).toBeInstanceOf(Error);
      await blocker.query('ROLLBACK');
      await eventually(
        async () => {
          const { rows } = await sql.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend]);
          return rows.length === 0 ? true : undefined;
        },
        30_000,
        'the killed registration backend to end',
      );
    } finally {
      await blocker.end();
      if (registry.child.exitCode === null && registry.child.signalCode === null) await kill9(registry);
    }
    expect(await stored(name)).toEqual({ latest: 0, versions: 0, files: 0, events: 0 });

    // After a restart the same registration succeeds as version 1: nothing half-registered, no gap,
    // and the 48 MB of shards come back byte for byte.
    const { http: again } = await start();
    const retry = await again.post(`/v1/models/${name}/versions`, body);
    expect(retry.status).toBe(201);
    expect(retry.body.version).toBe(1);
    expect(await stored(name)).toEqual({ latest: 1, versions: 1, files: 14, events: 1 });
    const shard = await again.get(`/v1/models/${name}/versions/1/files/group1-shard7of12.bin`);
    expect(shard.status).toBe(200);
    expect(shard.bytes.equals(artifact.bytes.get('group1-shard7of12.bin') as Buffer)).toBe(true);
    expect(shard.headers.get('x-checksum-sha256')).toBe(sha256(shard.bytes));
  }, 180_000);

  it('SIGKILL while the request body is still uploading leaves no version behind', async () => {
    const name = `crash-body-${suffix}`;
    const { registry, http } = await start();
    expect((await http.post('/v1/models', { name, kind: 'sentiment' })).status).toBe(201);
    const body = Buffer.from(
      JSON.stringify({ lineage: lineage(), idempotencyKey: `req-${suffix}`, files: bigArtifact().files }),
    );
    const { port } = new URL(registry.url);
    const req = request({
      host: '127.0.0.1',
      port: Number(port),
      method: 'POST',
      path: `/v1/models/${name}/versions`,
      headers: { 'content-type': 'application/json', 'content-length': body.length },
    });
    const failed = new Promise<Error>((resolve) => req.on('error', resolve));
    await new Promise<void>((resolve) => req.write(body.subarray(0, body.length / 2), () => resolve()));
    await kill9(registry);
    expect((await failed).message).toMatch(/socket hang up|ECONNRESET|EPIPE/);
    expect(await stored(name)).toEqual({ latest: 0, versions: 0, files: 0, events: 0 });

    const { http: again } = await start();
    expect((await again.get(`/v1/models/${name}/versions`)).body.items).toEqual([]);
  }, 120_000);

  it('SIGKILL after the commit but before the event is published: the event goes out after restart', async () => {
    const name = `crash-outbox-${suffix}`;
    const { registry, http } = await start();
    expect((await http.post('/v1/models', { name, kind: 'recommender' })).status).toBe(201);
    // Taking the relay's advisory lock keeps this process's relay from publishing.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    let rows: { event_id: string }[];
    try {
      await holder.query(`SELECT pg_advisory_lock(hashtextextended('model_registry.outbox', 0))`);
      const res = await http.post(`/v1/models/${name}/versions`, {
        metrics: { ndcg_at_10: 0.41 },
        lineage: lineage(),
        idempotencyKey: `req-${suffix}`,
        files: tfjsArtifact({ seed: 9 }).files,
      });
      expect(res.status).toBe(201);
      await kill9(registry);
      ({ rows } = await sql.query<{ event_id: string }>(
        'SELECT event_id::text FROM model_registry.outbox WHERE message_key = $1 AND sent_at IS NULL',
        [name],
      ));
      expect(rows).toHaveLength(1);
      expect(events.filter((e) => e.modelName === name)).toEqual([]);
    } finally {
      await holder.end();
    }

    await start();
    const published = await eventually(
      async () => events.find((e) => e.modelName === name && e.type === ModelEventType.REGISTERED),
      30_000,
      'the REGISTERED event relayed after the restart',
    );
    expect(published).toMatchObject({
      eventId: rows[0].event_id,
      version: '1',
      metrics: { ndcg_at_10: 0.41 },
    });
    await eventually(
      async () => {
        const r = await sql.query(
          'SELECT 1 FROM model_registry.outbox WHERE message_key = $1 AND sent_at IS NULL',
          [name],
        );
        return r.rows.length === 0 ? true : undefined;
      },
      10_000,
      'the outbox row marked sent',
    );
  }, 120_000);
});
