// Privacy end to end, with authentication on: ingest and the feature service on one database (their
// own schemas, as in production) and the real broker, traces exported to a local OTLP/HTTP receiver.
// Interactions with a planted raw user id go through ingest into the feature store, the user's
// recommendations-side reads and the deletion API are used with the raw id in URLs, and then every
// byte this run put on any catalogue topic (and its dead-letter topic), every row of every table in
// every schema, both services' logs and every exported span are scanned: the raw id is nowhere.
// Deleting the user (DELETE /v1/users/{id} on ingest, and `mercato users delete`) removes the
// pseudonym's interactions and features from the feature store.
import { Topics } from '@mercato/contracts';
import {
  REPO_ROOT,
  createTestDatabase,
  eventually,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort,
} from '@mercato/dev-stack';
import { bearer, testKeys, type TestKeys } from '@mercato/testing';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicTap } from './topic-tap';

const run = promisify(execFile);
const RUN = uniqueSuffix()
  .replace(/[^a-z0-9]/g, '')
  .slice(-10);
const TENANT = `p${RUN}`;
const PSEUDONYMIZATION_KEY = `privacy-spec-key-${'z'.repeat(32)}`;
const RAW_USER = `planted.user+${RUN}@example.com`;
const OTHER_USER = `kept.user+${RUN}@example.com`;
const pseudonym = (user: string) =>
  createHmac('sha256', PSEUDONYMIZATION_KEY).update(`${TENANT}\u0000${user}`).digest('hex');

let db: TestDatabase;
let keys: TestKeys;
let ingest: ServiceProcess;
let feature: ServiceProcess;
let otlp: Server;
const spans: Buffer[] = [];
let taps: TopicTap[] = [];
let admin: Record<string, string>;
let adminId: string;
let serviceId: string;

const interactions = (user: string) =>
  ['i1', 'i2', 'i3'].map((item, i) => ({
    user_id: user,
    item_id: `${RUN}-${item}`,
    type: i === 2 ? 'purchase' : 'view',
    timestamp: new Date(Date.now() - (10 - i) * 1_000).toISOString(),
  }));

async function features(user: string): Promise<number> {
  return (await fetch(`${feature.url}/v1/users/${pseudonym(user)}/features`, { headers: admin })).status;
}

beforeAll(async () => {
  otlp = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      spans.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const otlpPort = await freePort();
  await new Promise<void>((resolve) => otlp.listen(otlpPort, '127.0.0.1', resolve));

  db = await createTestDatabase('privacy');
  keys = await testKeys(db.url);
  const adminKey = await keys.create({ tenantId: TENANT });
  admin = bearer(adminKey.token);
  adminId = adminKey.record.id;
  const service = await keys.create({ tenantId: TENANT, platform: true, name: 'services' });
  serviceId = service.record.id;
  const kafka = testKafka();
  taps = await Promise.all(
    Object.values(Topics).flatMap((t) => [TopicTap.open(kafka, t.name), TopicTap.open(kafka, t.deadLetter)]),
  );
  const group = `privacy-feature-${uniqueSuffix()}`;
  await startGroupAtEnd(kafka, group, [
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
    Topics.newsRaw.name,
  ]);
  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    AUTH_MODE: 'required',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    LOG_LEVEL: 'debug',
  };
  feature = await startService('feature', {
    ...common,
    HTTP_PORT: String(await freePort()),
    KAFKA_CONSUMER_GROUP: group,
  });
  ingest = await startService('ingest', {
    ...common,
    HTTP_PORT: String(await freePort()),
    PSEUDONYMIZATION_KEY,
    FEATURE_URL: feature.url,
    MERCATO_SERVICE_API_KEY: service.token,
  });
}, 120_000);

afterAll(async () => {
  await ingest?.stop();
  await feature?.stop();
  await Promise.all(taps.map((t) => t.close()));
  await keys?.close();
  await db?.drop();
  await new Promise((resolve) => otlp?.close(resolve));
});

describe('a planted raw user id', () => {
  it('is pseudonymized on ingest and stored by the feature service under the pseudonym', async () => {
    for (const user of [RAW_USER, OTHER_USER]) {
      const res = await fetch(`${ingest.url}/v1/interactions`, {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ interactions: interactions(user) }),
      });
      expect(res.status).toBe(202);
      expect(((await res.json()) as any).accepted).toBe(3);
    }
    await eventually(async () => ((await features(RAW_USER)) === 200 ? true : undefined), 20_000, 'features');
    // A deletion request for an unknown user exercises the raw id in a URL path too.
    const unknown = await fetch(`${ingest.url}/v1/users/${encodeURIComponent(`${RAW_USER}.unknown`)}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(unknown.status).toBe(204);
  });

  it('is in no topic byte, table row, log line or exported span', async () => {
    await Promise.all(taps.map((t) => t.caughtUp()));
    const ours = taps.flatMap((t) => t.records.filter((r) => r.bytes.includes(pseudonym(RAW_USER))));
    expect(ours.length).toBeGreaterThan(0); // the scan sees this run's records
    const needle = Buffer.from(RAW_USER);
    const topicHits = taps.flatMap((t) =>
      t.records.filter((r) => r.bytes.includes(needle)).map(() => t.topic),
    );
    expect(topicHits).toEqual([]);

    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ table_schema: string; table_name: string }>(
        `SELECT table_schema, table_name FROM information_schema.tables
         WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
      );
      expect(tables.map((t) => t.table_schema)).toEqual(
        expect.arrayContaining(['ingest', 'feature', 'auth']),
      );
      const hits: string[] = [];
      let pseudonymRows = 0;
      for (const { table_schema: schema, table_name: table } of tables) {
        const { rows } = await client.query<{ row: string }>(
          `SELECT t::text AS row FROM "${schema}"."${table}" t`,
        );
        for (const { row } of rows) {
          if (row.includes(RAW_USER)) hits.push(`${schema}.${table}`);
          if (row.includes(pseudonym(RAW_USER))) pseudonymRows++;
        }
      }
      expect(pseudonymRows).toBeGreaterThan(0);
      expect(hits).toEqual([]);
    } finally {
      await client.end();
    }

    expect(ingest.output()).not.toContain(RAW_USER);
    expect(feature.output()).not.toContain(RAW_USER);
    // Spans are exported in batches (every 5 s by default): wait for both services' spans of this run.
    await eventually(
      async () => {
        const text = Buffer.concat(spans).toString('utf8');
        return text.includes('interactions.raw.v1 publish') && text.includes('features.user.v1 publish')
          ? true
          : undefined;
      },
      20_000,
      "the exported spans of ingest's publish and the feature service's update",
    );
    expect(Buffer.concat(spans).includes(Buffer.from(RAW_USER))).toBe(false);
    expect(Buffer.concat(spans).includes(Buffer.from(encodeURIComponent(RAW_USER)))).toBe(false);
  });

  it('is forgotten on DELETE /v1/users/{id}: interactions and features gone, other users kept', async () => {
    const res = await fetch(`${ingest.url}/v1/users/${encodeURIComponent(RAW_USER)}`, {
      method: 'DELETE',
      headers: admin,
    });
    expect(res.status).toBe(204);
    expect(await features(RAW_USER)).toBe(404);
    expect(await features(OTHER_USER)).toBe(200);
    const dataset = await (await fetch(`${feature.url}/v1/datasets/interactions`, { headers: admin })).text();
    expect(dataset).not.toContain(pseudonym(RAW_USER));
    expect(dataset).toContain(pseudonym(OTHER_USER));
    // Both services audit the deletion, each with the credential it was called with, by pseudonym.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const audit = await sql
      .query(
        `SELECT 'ingest' AS service, tenant_id, principal, action, target FROM ingest.audit_log
         UNION ALL SELECT 'feature', tenant_id, principal, action, target FROM feature.audit_log`,
      )
      .finally(() => sql.end());
    const target = `user ${pseudonym(RAW_USER)}`;
    expect(audit.rows).toEqual(
      expect.arrayContaining([
        { service: 'ingest', tenant_id: TENANT, principal: `key:${adminId}`, action: 'user.delete', target },
        {
          service: 'feature',
          tenant_id: TENANT,
          principal: `key:${serviceId}`,
          action: 'user.delete',
          target,
        },
      ]),
    );
  });

  it('is forgotten with `mercato users delete`, and deletion needs users:delete', async () => {
    const reader = bearer((await keys.create({ tenantId: TENANT, scopes: ['interactions:write'] })).token);
    const refused = await fetch(`${ingest.url}/v1/users/${encodeURIComponent(OTHER_USER)}`, {
      method: 'DELETE',
      headers: reader,
    });
    expect(refused.status).toBe(403);
    const { stdout } = await run(
      process.execPath,
      [join(REPO_ROOT, 'dist/scripts/cli/src/main.js'), 'users', 'delete', OTHER_USER],
      { env: { ...process.env, INGEST_URL: ingest.url, MERCATO_API_KEY: admin.authorization?.slice(7) } },
    );
    expect(stdout).toContain('user deleted');
    expect(await features(OTHER_USER)).toBe(404);
  });
});
