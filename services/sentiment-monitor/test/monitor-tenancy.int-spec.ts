// Tenant isolation of the monitor (BOLA), with authentication on: tenant A's windows, alerts and
// webhook subscriptions are invisible to tenant B's key — reads, the live SSE stream, and changes by
// id all answer as if they did not exist (404, never 403) — and a `tenant` query parameter is ignored.
// Surge rules are per tenant and need the alerts:admin scope.
import {
  createTestDatabase,
  eventually,
  testKafka,
  uniqueSuffix,
  type TestDatabase,
} from '@mercato/dev-stack';
import { bearer, testKeys, type TestKeys } from '@mercato/testing';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  hourAligned,
  MINUTE,
  mixedWindow,
  openSse,
  publish,
  RECEIVER_HOST,
  scored,
  sendJson,
  startMonitor,
  uniqueTicker,
  type Monitor,
  type Scored,
} from './monitor-harness';

const RUN = uniqueSuffix()
  .replace(/[^a-z0-9]/g, '')
  .slice(-10);
const A = `a${RUN}`;
const B = `b${RUN}`;
const TICKER = uniqueTicker('T');
const T0 = hourAligned(3);

let db: TestDatabase;
let keys: TestKeys;
let monitor: Monitor;
let producer: Producer;
let keyA: Record<string, string>;
let keyB: Record<string, string>;
let keyAId: string;

const ofTenant = (tenantId: string, records: Scored[]): Scored[] => records.map((r) => ({ ...r, tenantId }));

beforeAll(async () => {
  db = await createTestDatabase('monitor_tenancy');
  keys = await testKeys(db.url);
  const a = await keys.create({ tenantId: A });
  keyA = bearer(a.token);
  keyAId = a.record.id;
  keyB = bearer((await keys.create({ tenantId: B })).token);
  monitor = await startMonitor(db.url, { WINDOWS: '5m,1h', AUTH_MODE: 'required' });
  producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const history = [0, 5, 10, 15, 20, 25].flatMap((m) => mixedWindow(TICKER, T0 + m * MINUTE));
  const burst = Array.from({ length: 25 }, (_, i) =>
    scored({
      ticker: TICKER,
      label: 'negative',
      publishedAt: T0 + 30 * MINUTE + i * 12_000,
      probability: 0.95,
    }),
  );
  await publish(producer, ofTenant(A, [...history, ...burst]));
  await eventually(
    async () =>
      (await getJson(`${monitor.url}/v1/alerts?ticker=${TICKER}`, keyA)).body.items.length > 0
        ? true
        : undefined,
    30_000,
    "tenant A's alert",
  );
});

afterAll(async () => {
  await producer?.disconnect();
  await monitor?.stop();
  await keys?.close();
  await db?.drop();
});

describe("tenant B against tenant A's monitor data", () => {
  it('sees none of the windows, rankings or alerts, even when naming A in the query', async () => {
    const own = await getJson(`${monitor.url}/v1/tickers/${TICKER}/sentiment?window=5m`, keyA);
    expect(own.body.items.length).toBeGreaterThan(0);
    for (const query of ['', `&tenant=${A}`]) {
      const series = await getJson(`${monitor.url}/v1/tickers/${TICKER}/sentiment?window=5m${query}`, keyB);
      expect(series).toMatchObject({ status: 200, body: { items: [], totals: { counted: 0, late: 0 } } });
      const alerts = await getJson(`${monitor.url}/v1/alerts?ticker=${TICKER}${query}`, keyB);
      expect(alerts).toEqual({ status: 200, body: { items: [] } });
      const ranking = await getJson(`${monitor.url}/v1/tickers?window=5m${query}`, keyB);
      expect(ranking.body.items.map((r: any) => r.ticker)).not.toContain(TICKER);
    }
  });

  it("gets 404 for A's alert by id", async () => {
    const [alert] = (await getJson(`${monitor.url}/v1/alerts?ticker=${TICKER}`, keyA)).body.items;
    expect((await getJson(`${monitor.url}/v1/alerts/${alert.alertId}`, keyA)).status).toBe(200);
    expect((await getJson(`${monitor.url}/v1/alerts/${alert.alertId}`, keyB)).status).toBe(404);
  });

  it("receives none of A's alerts on the live stream", async () => {
    const streamB = await openSse(
      `${monitor.url}/v1/alerts/stream?lastEventId=0&access_token=${keyB.authorization?.slice(7)}`,
    );
    const streamA = await openSse(`${monitor.url}/v1/alerts/stream?lastEventId=0`, keyA);
    expect([streamA.status, streamB.status]).toEqual([200, 200]);
    await eventually(
      async () => (streamA.events.some((e) => e.event === 'alert') ? true : undefined),
      10_000,
      'A replay',
    );
    // Both streams replayed from seq 0 and have sent heartbeats since: B's got nothing of A.
    await eventually(async () => (streamB.comments.length >= 2 ? true : undefined), 10_000, 'B heartbeats');
    expect(streamB.events.filter((e) => e.event === 'alert')).toEqual([]);
    streamA.close();
    streamB.close();
    const refused = await openSse(`${monitor.url}/v1/alerts/stream?access_token=mk_nope`);
    expect(refused.status).toBe(401);
    refused.close();
  });

  it("has rules of its own, never A's, and changes them only with alerts:admin", async () => {
    const url = `${monitor.url}/v1/alert-rules`;
    const set = await sendJson('PUT', url, { defaults: { minVolume: 12 } }, keyA);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ version: 1, effective: { defaults: { minVolume: 12 } } });
    const ofB = await getJson(url, keyB);
    expect(ofB.body).toMatchObject({ version: 0, document: null, effective: { defaults: { minVolume: 4 } } });
    expect((await getJson(`${url}/versions/1`, keyB)).status).toBe(404);

    const reader = bearer((await keys.create({ tenantId: A, scopes: ['sentiment:read'] })).token);
    expect((await getJson(url, reader)).status).toBe(403);
    expect((await sendJson('PUT', url, { defaults: { minVolume: 1 } }, reader)).status).toBe(403);
    expect((await getJson(url, keyA)).body.version).toBe(1);
  });

  it("cannot read, list, delete or see the deliveries of A's webhook subscription", async () => {
    const created = await sendJson(
      'POST',
      `${monitor.url}/v1/webhooks`,
      { url: `http://${RECEIVER_HOST}:9/hook`, tickers: ['NOPE'] },
      keyA,
    );
    expect(created.status).toBe(201);
    const { id } = created.body;
    expect((await getJson(`${monitor.url}/v1/webhooks/${id}`, keyB)).status).toBe(404);
    expect((await getJson(`${monitor.url}/v1/webhooks/${id}/deliveries`, keyB)).status).toBe(404);
    expect((await getJson(`${monitor.url}/v1/webhooks?tenant=${A}`, keyB)).body.items).toEqual([]);
    expect((await sendJson('DELETE', `${monitor.url}/v1/webhooks/${id}`, undefined, keyB)).status).toBe(404);
    expect((await getJson(`${monitor.url}/v1/webhooks/${id}`, keyA)).status).toBe(200);
    expect((await sendJson('DELETE', `${monitor.url}/v1/webhooks/${id}`, undefined, keyA)).status).toBe(204);
    // The audit log names A's key for its rules change (the test above) and both webhook changes;
    // the refused rules change of A's reader and B's refused delete left nothing.
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const { rows } = await sql
      .query(`SELECT tenant_id, principal, action, target FROM sentiment_monitor.audit_log ORDER BY id`)
      .finally(() => sql.end());
    expect(rows).toEqual([
      { tenant_id: A, principal: `key:${keyAId}`, action: 'rules.replace', target: 'alert rules' },
      { tenant_id: A, principal: `key:${keyAId}`, action: 'webhook.create', target: `webhook ${id}` },
      { tenant_id: A, principal: `key:${keyAId}`, action: 'webhook.delete', target: `webhook ${id}` },
    ]);
  });
});
