// The sentiment monitor end to end on the real broker and database, as a process: a scored stream
// where ticker A gets a burst of negative news after a mixed baseline and ticker B stays mixed
// raises exactly one alert, for A, with its evidence and the surge test's figures — on the alerts
// topic, in the API, over SSE and to a signed webhook that first fails; every record is counted
// exactly once although the stream is published twice (same event ids), a late record is kept out
// of the windows and a record that cannot be counted is dead-lettered without disturbing the others.
// The tenant's surge rules are set through the rules API before the stream (in effect without a
// restart); bad rules get 400 naming the field. No model registry answers here, so the alert says
// the version's confusion was assumed (the default), not measured.
import { AlertDirection, AlertSeverity } from '@mercato/contracts';
import { createTestDatabase, eventually, testKafka, type TestDatabase } from '@mercato/dev-stack';
import { metricValue } from '@mercato/testing';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySignature } from '../src/webhook-signature';
import {
  followAlerts,
  followDeadLetters,
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
  webhookReceiver,
  type Monitor,
  type Scored,
} from './monitor-harness';

const A = uniqueTicker('A');
const B = uniqueTicker('B');
const T0 = hourAligned(6);

let db: TestDatabase;
let monitor: Monitor;
let producer: Producer;
let topic: Awaited<ReturnType<typeof followAlerts>>;
let hook: Awaited<ReturnType<typeof webhookReceiver>>;
let secret: string;
let subscriptionId: string;
let sse: Awaited<ReturnType<typeof openSse>>;

beforeAll(async () => {
  db = await createTestDatabase('sentiment_monitor');
  monitor = await startMonitor(db.url, { WINDOWS: '5m,1h', ALLOWED_LATENESS: '10m' });
  // Every severity needs the same evidence: one surge, one alert, however the stream is batched.
  const rules = await sendJson('PUT', `${monitor.url}/v1/alert-rules`, {
    defaults: { evidence: { low: 1.5, medium: 1.5, high: 1.5 } },
  });
  expect(rules.status).toBe(200);
  expect(rules.body.version).toBe(1);
  producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  topic = await followAlerts(() => new Set([A, B]));
  hook = await webhookReceiver([500, 200]);
  const created = await sendJson('POST', `${monitor.url}/v1/webhooks`, {
    url: hook.url,
    tickers: [A, B],
    description: 'risk desk',
  });
  expect(created.status).toBe(201);
  secret = created.body.secret;
  subscriptionId = created.body.id;
  sse = await openSse(`${monitor.url}/v1/alerts/stream?ticker=${A}`);
}, 120_000);

afterAll(async () => {
  sse?.close();
  await topic?.stop();
  await producer?.disconnect();
  await hook?.close();
  await monitor?.stop();
  await db?.drop();
});

/** Counted volume per window size and late records of a ticker, from the API. */
async function totals(ticker: string, window = '5m'): Promise<{ counted: number; late: number }> {
  const { body } = await getJson(`${monitor.url}/v1/tickers/${ticker}/sentiment?window=${window}`);
  return body.totals;
}

describe('surge detection on a live stream', () => {
  // 25 negative articles in five minutes on a ticker that gets ten mixed ones every five minutes.
  const burst: Scored[] = Array.from({ length: 25 }, (_, i) =>
    scored({
      ticker: A,
      label: 'negative',
      publishedAt: T0 + 30 * MINUTE + i * 12_000,
      probability: 0.9 + i / 250,
      headline: `${A} plunges after accounting probe #${i}`,
      source: `wire-${i}`,
    }),
  );
  const stream: Scored[] = [];
  for (let m = 0; m < 30; m += 5)
    stream.push(...mixedWindow(A, T0 + m * MINUTE), ...mixedWindow(B, T0 + m * MINUTE));
  stream.push(...burst, ...mixedWindow(B, T0 + 30 * MINUTE));
  // B's watermark moves to minute 40; a record from minute 5 is then 35 minutes behind: too late.
  const lateRecord = scored({ ticker: B, label: 'negative', publishedAt: T0 + 5 * MINUTE });
  stream.push(scored({ ticker: B, label: 'neutral', publishedAt: T0 + 40 * MINUTE }), lateRecord);
  // A record the monitor cannot count, in the middle of A's partition: it fails its batch, which is
  // redone record by record; it alone is dead-lettered and A's records still count once.
  const invalid = scored({ ticker: A, label: 'negative', publishedAt: T0 + 12 * MINUTE, probability: 1.7 });
  stream.splice(40, 0, invalid);

  it('counts every record exactly once, even when the whole stream is delivered twice', async () => {
    const dlq = await followDeadLetters(new Set([invalid.eventId]));
    await publish(producer, stream);
    await publish(producer, stream); // the same event ids again: a redelivery
    await eventually(
      async () => {
        const [a, b] = await Promise.all([totals(A), totals(B)]);
        return a.counted === 85 && b.counted === 71 && b.late === 1 ? true : undefined;
      },
      30_000,
      'all records counted',
    );
    // Give any double counting the chance to show, then check again, in both window sizes.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await totals(A)).toEqual({ counted: 85, late: 0 });
    expect(await totals(B)).toEqual({ counted: 71, late: 1 });
    expect(await totals(A, '1h')).toEqual({ counted: 85, late: 0 });
    expect(await totals(B, '1h')).toEqual({ counted: 71, late: 1 });

    const series = await getJson(`${monitor.url}/v1/tickers/${A}/sentiment?window=5m`);
    expect(series.body.items).toHaveLength(7);
    const last = series.body.items.at(-1);
    expect(last).toMatchObject({
      volume: 25,
      negative: 25,
      negativeShare: 1,
      start: new Date(T0 + 30 * MINUTE).toISOString(),
    });
    expect(last.negativeTest.evidence).toBeGreaterThan(last.negativeTest.threshold);
    expect(series.body.items[0].negativeTest.evidence).toBeLessThan(
      series.body.items[0].negativeTest.threshold,
    );
    expect(series.body.items[0]).toMatchObject({
      volume: 10,
      negative: 3,
      neutral: 4,
      positive: 3,
      closed: true,
    });

    await eventually(async () => (dlq.letters.length >= 2 ? true : undefined), 20_000, 'the dead letters');
    await dlq.stop();
    expect(dlq.letters.map((l) => l.reason)).toEqual(['validation', 'validation']);
    expect(dlq.letters[0]?.errorMessage).toMatch(/prob_negative must be a probability/);

    const metrics = await (await fetch(`${monitor.url}/metrics`)).text();
    expect(metrics).toMatch(/mercato_sentiment_late_dropped_total\{[^}]*reason="late"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/mercato_sentiment_records_total\{[^}]*outcome="duplicate"[^}]*\} [1-9]/);
  });

  it('raises exactly one alert, for A, with the burst headlines as evidence', async () => {
    const { body } = await eventually(
      async () => {
        const r = await getJson(`${monitor.url}/v1/alerts?ticker=${A}`);
        return r.body.items.length > 0 ? r : undefined;
      },
      20_000,
      'the alert of A',
    );
    expect(body.items).toHaveLength(1);
    const alert = body.items[0];
    // Raised by the burst article whose evidence first reached the threshold, whatever the batching:
    // the test's figures say how far it was and what the ticker's baseline allowed.
    const at = Date.parse(alert.test.at);
    expect(burst.some((b) => b.publishedAt === at)).toBe(true);
    expect(alert.test).toMatchObject({ method: 'cusum-llr', surgeShare: 1, horizon: '1h' });
    expect(alert.test.evidence).toBeGreaterThanOrEqual(alert.test.threshold);
    expect(alert.test.threshold).toBe(alert.test.thresholds.high);
    expect(alert.test.likelihoodRatio).toBeCloseTo(Math.exp(alert.test.evidence), 6);
    expect(alert.volume).toBe(alert.test.articles);
    expect(alert.test.directionArticles / alert.test.articles).toBeGreaterThanOrEqual(0.6);
    expect(alert.share).toBeCloseTo(alert.test.directionArticles / alert.test.articles, 9);
    expect(alert).toMatchObject({
      ticker: A,
      direction: 'negative',
      severity: 'high',
      rulesVersion: 1,
      window: {
        size: '5m',
        start: new Date(T0 + 30 * MINUTE).toISOString(),
        end: new Date(T0 + 35 * MINUTE).toISOString(),
      },
      modelVersions: ['sentiment@7'],
      upgradeOf: null,
    });
    // The registry could not be asked: the default (conservative) confusion, and the reason, are on the alert.
    expect(alert.models.acrossVersions).toBe(false);
    expect(alert.models.confusion).toEqual([
      { version: 'sentiment@7', confusion: 'default', reason: expect.any(String) },
    ]);
    // A's baseline is its own 60 mixed articles (3 in 10 negative), not a fixed prior.
    expect(alert.baseline.source).toBe('history');
    expect(alert.baseline.modelVersions).toEqual(['sentiment@7']);
    expect(alert.baseline.mean).toBeGreaterThan(0.2);
    expect(alert.baseline.mean).toBeLessThan(0.4);
    expect(alert.baseline.high).toBeGreaterThan(alert.baseline.mean);
    // Evidence: the five most probable of the burst records up to the one that raised the alert.
    const held = burst.filter((b) => b.publishedAt <= at);
    const strongest = [...held].sort((x, y) => y.probability - x.probability).slice(0, 5);
    expect(alert.evidence.map((e: any) => e.articleId)).toEqual(strongest.map((s) => s.articleId));
    const top = held.length - 1;
    expect(alert.evidence[0]).toEqual({
      articleId: strongest[0]?.articleId,
      headline: `${A} plunges after accounting probe #${top}`,
      source: `wire-${top}`,
      probability: expect.closeTo(0.9 + top / 250, 5),
      publishedAt: new Date(T0 + 30 * MINUTE + top * 12_000).toISOString(),
    });
    expect((await getJson(`${monitor.url}/v1/alerts/${alert.alertId}`)).body).toEqual(alert);
    expect((await getJson(`${monitor.url}/v1/alerts?ticker=${B}`)).body.items).toEqual([]);

    // On the topic: one record, key A, its event id the alert id, the same content.
    await eventually(async () => (topic.alerts.length > 0 ? true : undefined), 20_000, 'the alert on Kafka');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(topic.alerts).toHaveLength(1);
    const [published] = topic.alerts;
    expect(published?.eventId).toBe(alert.alertId);
    expect(published?.alert).toMatchObject({
      alertId: alert.alertId,
      ticker: A,
      window: '5m',
      direction: AlertDirection.NEGATIVE,
      severity: AlertSeverity.HIGH,
      volume: BigInt(alert.volume),
      modelVersion: 'sentiment@7',
    });
    expect(published?.alert.evidence.map((e) => e.headline)).toEqual(
      alert.evidence.map((e: any) => e.headline),
    );

    // The ranking puts A first among our tickers, by its negative evidence.
    const ranking = await getJson(`${monitor.url}/v1/tickers?window=5m&limit=1000`);
    const ours = ranking.body.items.filter((t: any) => t.ticker === A || t.ticker === B);
    expect(ours.map((t: any) => t.ticker)).toEqual([A, B]);
    expect(ours[0].lastAlert).toMatchObject({
      alertId: alert.alertId,
      severity: 'high',
      direction: 'negative',
    });
  });

  it('streams the alert over SSE, with heartbeats, and replays it after Last-Event-ID', async () => {
    await eventually(async () => (sse.events.length > 0 ? true : undefined), 10_000, 'the SSE alert');
    expect(sse.status).toBe(200);
    expect(sse.events).toHaveLength(1);
    const [event] = sse.events;
    const alert = JSON.parse(event?.data ?? '{}');
    expect(event?.event).toBe('alert');
    expect(event?.id).toBe(String(alert.seq));
    expect(alert).toMatchObject({ ticker: A, severity: 'high' });
    expect(alert.evidence).toHaveLength(5);
    await eventually(
      async () => (sse.comments.some((c) => c.startsWith('heartbeat')) ? true : undefined),
      5_000,
    );

    const replay = await openSse(`${monitor.url}/v1/alerts/stream?ticker=${A}`, {
      'last-event-id': String(alert.seq - 1),
    });
    try {
      await eventually(
        async () => (replay.events.length > 0 ? true : undefined),
        5_000,
        'the replayed alert',
      );
      expect(JSON.parse(replay.events[0]?.data ?? '{}').alertId).toBe(alert.alertId);
    } finally {
      replay.close();
    }
    const caughtUp = await openSse(`${monitor.url}/v1/alerts/stream?ticker=${A}`, {
      'last-event-id': String(alert.seq),
    });
    await new Promise((r) => setTimeout(r, 700));
    caughtUp.close();
    expect(caughtUp.events).toEqual([]);
  });

  it('delivers the alert to the webhook, signed, retrying after the endpoint answers 500', async () => {
    await eventually(
      async () => (hook.received.length >= 2 ? true : undefined),
      20_000,
      'two webhook attempts',
    );
    const [first, second] = hook.received;
    expect(first?.status).toBe(500);
    expect(second?.status).toBe(200);
    for (const r of hook.received) {
      expect(verifySignature(secret, r.body, r.headers['x-mercato-signature'] as string)).toBe(true);
      const payload = JSON.parse(r.body);
      expect(payload.type).toBe('sentiment.alert');
      expect(payload.alert).toMatchObject({ ticker: A, direction: 'negative', severity: 'high' });
      expect(payload.alert.evidence).toHaveLength(5);
      expect(r.headers['x-mercato-event-id']).toBe(payload.alert.alertId);
      expect(Date.parse(payload.sentAt) / 1000).toBe(Number(r.headers['x-mercato-timestamp']));
    }
    expect(JSON.parse(second?.body ?? '{}').attempt).toBe(2);
    expect(
      verifySignature('not-the-secret', second?.body ?? '', second?.headers['x-mercato-signature'] as string),
    ).toBe(false);
    const deliveries = await eventually(
      async () => {
        const d = await getJson(`${monitor.url}/v1/webhooks/${subscriptionId}/deliveries`);
        return d.body.items[0]?.state === 'delivered' ? d.body.items : undefined;
      },
      10_000,
      'the delivery marked delivered',
    );
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      state: 'delivered',
      attempts: 2,
      lastStatus: 200,
      lastError: null,
    });
    await new Promise((r) => setTimeout(r, 800));
    expect(hook.received).toHaveLength(2);
  });
});

describe('HTTP API', () => {
  it('rejects bad input with 400 naming the field and the reason', async () => {
    const cases: [string, string][] = [
      [`/v1/tickers/${A}/sentiment?window=7m`, 'window'],
      [`/v1/tickers/${A}/sentiment?from=yesterday`, 'from'],
      [`/v1/tickers/${A}/sentiment?from=2026-03-02T10:00:00Z&to=2026-03-01T10:00:00Z`, 'to'],
      ['/v1/tickers?limit=0', 'limit'],
      ['/v1/alerts?direction=sideways', 'direction'],
      ['/v1/alerts/not-a-uuid', 'alertId'],
      ['/v1/webhooks/not-a-uuid', 'id'],
    ];
    for (const [path, field] of cases) {
      const r = await getJson(`${monitor.url}${path}`);
      expect(r.status, path).toBe(400);
      expect(r.body.message).toBe('invalid request');
      expect(
        r.body.errors.map((e: any) => e.field),
        path,
      ).toContain(field);
      expect(r.body.errors[0].reason.length).toBeGreaterThan(3);
    }
    const sseBad = await fetch(`${monitor.url}/v1/alerts/stream`, { headers: { 'last-event-id': 'x' } });
    expect(sseBad.status).toBe(400);
    expect(((await sseBad.json()) as any).errors[0].field).toBe('Last-Event-ID');

    for (const [body, field] of [
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://example.com', directions: [] }, 'directions'],
      [{ url: 'https://example.com', minSeverity: 'extreme' }, 'minSeverity'],
      [{ url: 'https://example.com', tickers: ['has space'] }, 'tickers[0]'],
      [{ url: 'https://example.com', colour: 'red' }, '(body)'],
    ] as [object, string][]) {
      const r = await sendJson('POST', `${monitor.url}/v1/webhooks`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors.map((e: any) => e.field)).toContain(field);
    }
  });

  it('reads and replaces the tenant’s surge rules: validated field by field, versioned', async () => {
    const url = `${monitor.url}/v1/alert-rules`;
    const current = await getJson(url);
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({
      version: 1,
      document: { defaults: { evidence: { low: 1.5, medium: 1.5, high: 1.5 } } },
      effective: {
        defaults: {
          minVolume: 4,
          minShare: 0.6,
          evidence: { low: 1.5, medium: 1.5, high: 1.5 },
          window: '5m',
        },
        tickers: {},
      },
    });
    for (const [body, field, reason] of [
      [{ defaults: { minVolume: -1 } }, 'defaults.minVolume', /at least 1/],
      [{ defaults: { colour: 'red' } }, 'defaults.colour', /unknown field/],
      [{ tickers: { [A]: { window: '15m' } } }, `tickers.${A}.window`, /configured windows: 5m, 1h/],
      [{ defaults: { thresholds: { high: 3 } } }, 'defaults.thresholds', /replaced by "evidence"/],
      [{ defaults: { evidence: { low: 5, medium: 3 } } }, 'defaults.evidence', /low ≤ medium ≤ high/],
      [{ tickers: { 'has space': {} } }, 'tickers.has space', /must be a ticker/],
      [[], '(body)', /./],
    ] as [unknown, string, RegExp][]) {
      const r = await sendJson('PUT', url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const named = r.body.errors.find((e: any) => e.field === field);
      expect(named, JSON.stringify(r.body.errors)).toBeDefined();
      expect(named.reason).toMatch(reason);
    }
    // Refused changes leave the rules as they were; a change based on an old version is refused too.
    expect((await getJson(url)).body.version).toBe(1);
    const stale = await sendJson('PUT', url, { defaults: {} }, { 'if-match': '"0"' });
    expect(stale.status).toBe(409);

    const document = {
      defaults: { evidence: { low: 1.5, medium: 1.5, high: 1.5 } },
      tickers: { [B]: { directions: ['positive'], cooldown: '2h' } },
    };
    const changed = await sendJson('PUT', url, document, { 'if-match': '"1"' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      version: 2,
      document,
      effective: { tickers: { [B]: { directions: ['positive'], cooldown: '2h', minVolume: 4 } } },
    });
    // A rules change never touches what was counted, nor the alerts already raised.
    expect(await totals(A)).toEqual({ counted: 85, late: 0 });
    expect((await getJson(`${monitor.url}/v1/alerts?ticker=${A}`)).body.items).toHaveLength(1);
    const versions = await getJson(`${url}/versions`);
    expect(versions.body.items.map((v: any) => v.version)).toEqual([2, 1]);
    expect((await getJson(`${url}/versions/1`)).body.document).toEqual(current.body.document);
    expect((await getJson(`${url}/versions/9`)).status).toBe(404);
    const bad = await getJson(`${url}/versions/first`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('version');
  });

  it('refuses webhook URLs that point inside: loopback, link-local, private, naming the rule', async () => {
    // Refused by address and resolution only: no request is ever sent to any of these.
    const cases: [string, string][] = [
      ['http://127.0.0.1:8084/v1/models', 'loopback'],
      ['http://localhost:8086/v1/alerts', 'loopback'],
      ['http://[::1]:8084/', 'loopback'],
      ['http://169.254.169.254/latest/meta-data/iam/', 'link-local'],
      ['http://10.0.0.1/hook', 'private'],
      ['http://[fd00:ec2::254]/latest', 'private'],
      ['http://0.0.0.0:8086/', 'unspecified'],
    ];
    for (const [url, rule] of cases) {
      const r = await sendJson('POST', `${monitor.url}/v1/webhooks`, { url });
      expect(r.status, url).toBe(400);
      expect(r.body.error, url).toBe('egress_refused');
      expect(r.body.errors[0].field).toBe('url');
      expect(r.body.errors[0].reason, url).toContain(`rule "${rule}"`);
    }
    expect((await getJson(`${monitor.url}/v1/webhooks`)).body.items.map((s: any) => s.url)).toEqual([
      hook.url,
    ]);
    expect(
      await metricValue(monitor.url, 'mercato_sentiment_webhook_refused_total', { rule: 'loopback' }),
    ).toBeGreaterThanOrEqual(3);
  });

  it('manages webhook subscriptions and shows the secret only once', async () => {
    const created = await sendJson('POST', `${monitor.url}/v1/webhooks`, {
      url: `http://${RECEIVER_HOST}:9/mercato`,
      directions: ['negative'],
      minSeverity: 'medium',
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    const { secret: _secret, ...view } = created.body;
    expect(view).toMatchObject({
      url: `http://${RECEIVER_HOST}:9/mercato`,
      tickers: [],
      directions: ['negative'],
    });
    expect((await getJson(`${monitor.url}/v1/webhooks/${view.id}`)).body).toEqual(view);
    const listed = await getJson(`${monitor.url}/v1/webhooks`);
    expect(listed.body.items).toContainEqual(view);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    expect((await sendJson('DELETE', `${monitor.url}/v1/webhooks/${view.id}`)).status).toBe(204);
    expect((await getJson(`${monitor.url}/v1/webhooks/${view.id}`)).status).toBe(404);
    expect((await sendJson('DELETE', `${monitor.url}/v1/webhooks/${view.id}`)).status).toBe(404);
  });

  it('publishes its OpenAPI document', async () => {
    const { status, body } = await getJson(`${monitor.url}/v1/openapi.json`);
    expect(status).toBe(200);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/tickers',
        '/v1/tickers/{ticker}/sentiment',
        '/v1/alerts',
        '/v1/alerts/stream',
        '/v1/alerts/{alertId}',
        '/v1/webhooks',
        '/v1/webhooks/{id}',
        '/v1/webhooks/{id}/deliveries',
        '/v1/alert-rules',
        '/v1/alert-rules/versions',
      ]),
    );
    const params = body.paths['/v1/tickers/{ticker}/sentiment'].get.parameters.map((p: any) => p.name);
    expect(params).toEqual(expect.arrayContaining(['ticker', 'window', 'from', 'to']));
    expect(body.components.schemas.WebhookPayload.properties.alert).toBeDefined();
  });
});

describe('the ticker contract', () => {
  it('counts exchange-qualified and share-class tickers and answers for them in any spelling', async () => {
    const base = uniqueTicker('X').slice(0, 12);
    const tickers = [`${base}.L`, `${base}-B.CO`, `${base}.B`];
    await publish(
      producer,
      tickers.flatMap((ticker) => mixedWindow(ticker, T0)),
    );
    for (const ticker of tickers) {
      const spelled = encodeURIComponent(`$${ticker.toLowerCase()}`);
      await eventually(
        async () => ((await totals(spelled)).counted === 10 ? true : undefined),
        30_000,
        `${ticker} counted`,
      );
    }
    const refused = await getJson(`${monitor.url}/v1/tickers/two%20words/sentiment`);
    expect(refused.status).toBe(400);
  });
});

describe('shutdown', () => {
  it('drains on SIGTERM with live streams open: they are ended and the process exits 0', async () => {
    const open = await openSse(`${monitor.url}/v1/alerts/stream`);
    let ended = false;
    const stream = await fetch(`${monitor.url}/v1/alerts/stream`);
    const reading = (async () => {
      const reader = stream.body?.getReader();
      while (reader && !(await reader.read()).done);
      ended = true;
    })();
    await eventually(
      async () =>
        (await (await fetch(`${monitor.url}/metrics`)).text()).match(/mercato_sentiment_sse_clients\S* [2-9]/)
          ? true
          : undefined,
      5_000,
      'two open streams',
    );
    const started = Date.now();
    expect(await monitor.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    await reading;
    expect(ended).toBe(true);
    open.close();
  });
});
