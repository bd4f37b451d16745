// Traces a user can follow, on the real stack (the six services as processes, the real broker and
// database) exporting to a real OTLP/HTTP receiver in this process:
// - one article posted with the caller's sampled traceparent is exactly one trace from ingest to the
//   alert it completes: the caller's span is the parent of ingest's server span, every other span's
//   parent is in the trace, the span count is bounded and no background work is inside it;
// - the alert carries that trace id (API, the sentiment.alerts.v1 record and its trace headers), and
//   the background work that serves it (Kafka relay, webhook delivery, live stream) runs in traces
//   of its own, linked to it; no span anywhere is an orphan (only requests, records and units of
//   background work start traces);
// - a malformed traceparent is ignored (202 and a new trace), an unsampled one exports nothing;
// - the caller's tracestate goes with its trace (ingest's request, every Kafka hop, the
//   recommendations edge);
// - the recommendations edge (HTTP and gRPC) continues a sampled caller under a server span named
//   by route and records nothing for an unsampled one; other gRPC calls (SentimentService) always
//   have a server span, in the caller's trace or a new one, as the sampler decides;
// - a training job's heartbeat (every 3 s, looking for a cancellation) stays out of the job's trace;
// - an idle stack (every poller running, probes and scrapes answered) exports no span.
import { fromBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { RecommendationService, SentimentAlertSchema, SentimentService, Topics } from '@mercato/contracts';
import {
  eventually,
  getJson,
  startGroupAtEnd,
  startNewsStack,
  testKafka,
  type NewsStack,
} from '@mercato/dev-stack';
import { SERVICE_NAMES } from '@mercato/config';
import { generateNews } from '@mercato/synthetic';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@mercato/testing';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = randomBytes(3).toString('hex');
const letters = (n: number): string =>
  Array.from(randomBytes(n), (b) => String.fromCharCode(65 + (b % 26))).join('');
const T = `X${letters(3)}`;
const QUIET = `Y${letters(3)}`;
const SERVER = 2;
const CONSUMER = 5;
const PRODUCER = 4;
/** The spans that start traces of background work (@mercato/telemetry's traceWork). */
const BACKGROUND = /relay$|^webhook delivery$|^alert stream fan-out$|purge$|cleanup$|^retrain request$/;
const TRACE_UI = 'http://traces.example/trace/{traceId}';

let receiver: OtlpReceiver;
let stack: NewsStack;
let hooks: { url: string; received: IncomingHttpHeaders[]; server: Server };
let alertsConsumer: Consumer;
const alertRecords: KafkaMessage[] = [];

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** Resolves once no span has arrived for `ms` (the exporters flush every 100 ms). */
async function quiet(ms = 2_000): Promise<void> {
  let count = -1;
  let since = Date.now();
  for (;;) {
    if (receiver.spans.length !== count) {
      count = receiver.spans.length;
      since = Date.now();
    } else if (Date.now() - since >= ms) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const describeSpans = (spans: readonly ReceivedSpan[]): string =>
  spans.map((s) => `${s.service} ${s.name} ${s.traceId}/${s.spanId}<-${s.parentSpanId ?? '-'}`).join('\n');

function article(i: number, publishedAt: Date) {
  const [a] = generateNews({
    seed: 700 + i,
    count: 1,
    start: publishedAt,
    spacingMs: 1,
    tickers: [T],
    surges: [{ ticker: T, from: 0, to: 1, negativeShare: 1, share: 1 }],
  });
  return {
    id: `trace-${run}-${i}`,
    source: a!.source,
    published_at: a!.published_at,
    headline: a!.headline,
    body: `${a!.body} (${run} ${i})`,
    language: 'en',
  };
}

async function postNews(articles: unknown[], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${stack.url('ingest')}/v1/news`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ articles }),
  });
}

const counted = async (ticker: string): Promise<number> =>
  (
    await getJson<{ totals: { counted: number } }>(
      `${stack.url('sentiment-monitor')}/v1/tickers/${ticker}/sentiment?window=5m&limit=100`,
    )
  ).totals.counted;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers);
    req.resume().on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hooks = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
  stack = await startNewsStack({
    run,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // Every background loop polls many times during the idle check.
      MODEL_POLL_INTERVAL_MS: '500',
      RECS_POPULAR_POLL_MS: '500',
      OUTBOX_POLL_MS: '200',
      INGEST_DEDUPE_CLEANUP_INTERVAL_S: '1',
    },
    monitorEnv: {
      WINDOWS: '5m',
      ALERT_RULES: JSON.stringify({ defaults: { minVolume: 5, minShare: 0.5, directions: ['negative'] } }),
      ALERT_RELAY_POLL_MS: '200',
      WEBHOOK_POLL_MS: '200',
      SSE_POLL_MS: '200',
      SSE_HEARTBEAT_MS: '500',
      TRACE_UI_URL: TRACE_UI,
      // The webhook receiver of this spec listens on loopback, which the egress policy refuses by default.
      WEBHOOK_ALLOWED_CIDRS: '127.0.0.1/32',
    },
    training: { count: 2000, epochs: 3 },
  });
  const subscribed = await fetch(`${stack.url('sentiment-monitor')}/v1/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: hooks.url, tickers: [T] }),
  });
  expect(subscribed.status).toBe(201);
  const kafka = testKafka();
  const group = `trace-alerts-${run}`;
  await startGroupAtEnd(kafka, group, [Topics.sentimentAlerts.name]);
  alertsConsumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
  await alertsConsumer.connect();
  await alertsConsumer.subscribe({ topics: [Topics.sentimentAlerts.name] });
  await alertsConsumer.run({
    eachMessage: async ({ message }) => {
      alertRecords.push(message);
    },
  });
}, 600_000);

afterAll(async () => {
  await alertsConsumer?.disconnect();
  await stack?.stop();
  await new Promise((resolve) => hooks?.server.close(resolve));
  await receiver?.close();
});

describe('traces a user can follow', () => {
  const callerTrace = hex(16);
  const callerSpan = hex(8);

  it('follows one article from the caller through ingest to the alert it completes, in one trace', async () => {
    // Four negative articles of T (no trace context), so that the fifth completes the window.
    const windowStart = Math.floor((Date.now() - 10 * 60_000) / 300_000) * 300_000;
    const at = (i: number): Date => new Date(windowStart + 60_000 + i * 1_000);
    const warmUp = [0, 1, 2, 3].map((i) => article(i, at(i)));
    expect((await postNews(warmUp)).status).toBe(202);
    await eventually(async () => ((await counted(T)) === 4 ? true : undefined), 120_000, 'the first four');

    // The live stream is open, so its fan-out has work when the alert comes.
    const stream = new AbortController();
    const sse = await fetch(`${stack.url('sentiment-monitor')}/v1/alerts/stream`, { signal: stream.signal });
    expect(sse.status).toBe(200);
    const events: string[] = [];
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of sse.body as unknown as AsyncIterable<Uint8Array>)
        events.push(decoder.decode(chunk));
    })().catch(() => undefined);
    await quiet();
    receiver.clear();

    const completing = article(4, at(4));
    const accepted = await postNews([completing], {
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
      tracestate: 'desk=fx',
    });
    expect(accepted.status).toBe(202);

    const alert = await eventually(
      async () => {
        const { items } = await getJson<{ items: any[] }>(
          `${stack.url('sentiment-monitor')}/v1/alerts?ticker=${T}`,
        );
        return items[0];
      },
      120_000,
      `the alert of ${T}`,
    );
    // The alert's evidence: the article that completed it, and its trace.
    expect(alert.completedBy).toEqual({ articleId: completing.id, traceId: callerTrace });
    await eventually(
      async () => (hooks.received.length > 0 && events.join('').includes(alert.alertId) ? true : undefined),
      30_000,
      'the webhook delivery and the live event',
    );
    await quiet();
    stream.abort();
    const spans = [...receiver.spans];
    expect(receiver.problems).toEqual([]);

    // One trace, from the caller's span to the alert.
    const trace = spans.filter((s) => s.traceId === callerTrace);
    const ids = new Set(trace.map((s) => s.spanId));
    const listing = describeSpans(trace);
    const entry = trace.filter((s) => s.parentSpanId === callerSpan);
    expect(
      entry.map((s) => [s.service, s.name, s.kind]),
      listing,
    ).toEqual([['mercato-ingest', 'POST /v1/news', SERVER]]);
    for (const s of trace) {
      if (s !== entry[0])
        expect(ids.has(s.parentSpanId ?? ''), `${s.name} has its parent in the trace`).toBe(true);
    }
    const has = (service: string, name: string, kind?: number): void =>
      expect(
        trace.some(
          (s) => s.service === service && s.name === name && (kind === undefined || s.kind === kind),
        ),
        `${service} ${name} in\n${listing}`,
      ).toBe(true);
    has('mercato-ingest', 'news.raw.v1 publish', PRODUCER);
    has('mercato-feature', 'news.raw.v1 process', CONSUMER);
    has('mercato-feature', 'news.enriched.v1 publish', PRODUCER);
    has('mercato-scoring', 'news.enriched.v1 process', CONSUMER);
    has('mercato-scoring', 'news.scored.v1 publish', PRODUCER);
    has('mercato-sentiment-monitor', 'news.scored.v1 process', CONSUMER);
    has('mercato-sentiment-monitor', 'sentiment alert raised');
    // The caller's tracestate goes with its trace, over HTTP and every Kafka hop to the alert.
    expect(describeSpans(trace.filter((s) => s.traceState !== 'desk=fx'))).toBe('');
    const raised = trace.find((s) => s.name === 'sentiment alert raised');
    expect(raised?.attributes).toMatchObject({
      'mercato.alert.id': alert.alertId,
      'mercato.article.id': completing.id,
    });
    // Bounded, and nothing of the background work inside it.
    const breakdown = new Map<string, number>();
    for (const s of trace) {
      const key = `${s.service.replace('mercato-', '')}: ${s.name.replace(/^pg\.query:(\w+).*/, 'pg $1')}`;
      breakdown.set(key, (breakdown.get(key) ?? 0) + 1);
    }
    process.stdout.write(
      `[tracing] the article's trace: ${trace.length} spans; ${spans.length} spans exported in all while it ran\n` +
        [...breakdown].map(([k, n]) => `[tracing]   ${k} ×${n}\n`).join(''),
    );
    expect(trace.length).toBeLessThanOrEqual(80);
    expect(trace.filter((s) => BACKGROUND.test(s.name) || s.name.startsWith('sentiment.alerts.v1'))).toEqual(
      [],
    );

    // Nothing else is a trace of this work, and no span is an orphan: every trace starts at a request,
    // a record or a unit of background work, and every parent was exported.
    const all = new Set(spans.map((s) => s.spanId));
    for (const s of spans) {
      if (s.parentSpanId !== undefined) {
        expect(
          all.has(s.parentSpanId) || s.parentSpanId === callerSpan,
          `parent of ${s.service} ${s.name}`,
        ).toBe(true);
        continue;
      }
      expect(
        s.kind === SERVER ||
          s.kind === CONSUMER ||
          (s.scope === '@mercato/telemetry' && BACKGROUND.test(s.name)),
        `${s.service} ${s.name} (kind ${s.kind}, ${s.scope}) starts a trace`,
      ).toBe(true);
    }
    // Outside the article's trace, Kafka and alert spans are those of background units only (the
    // other traces are this spec's own API reads).
    const pipeline = (s: ReceivedSpan): boolean =>
      s.kind === PRODUCER || s.kind === CONSUMER || s.name === 'sentiment alert raised';
    for (const s of spans.filter((x) => x.traceId !== callerTrace && pipeline(x))) {
      const root = spans.find((r) => r.traceId === s.traceId && r.parentSpanId === undefined);
      expect(
        root !== undefined && BACKGROUND.test(root.name),
        `trace ${s.traceId}:\n${describeSpans(spans.filter((x) => x.traceId === s.traceId))}`,
      ).toBe(true);
    }

    // The background work that served the alert: traces of their own, linked to the article's.
    for (const name of ['sentiment_monitor.alert_relay relay', 'webhook delivery', 'alert stream fan-out']) {
      const unit = spans.find((s) => s.name === name && s.links.some((l) => l.traceId === callerTrace));
      expect(unit, `${name} linked to the article's trace`).toBeDefined();
      expect(unit?.traceId).not.toBe(callerTrace);
    }
    const relay = spans.find((s) => s.name === 'sentiment_monitor.alert_relay relay')!;
    expect(
      spans.some((s) => s.name === 'sentiment.alerts.v1 publish' && s.parentSpanId === relay.spanId),
    ).toBe(true);
    const delivery = spans.find((s) => s.name === 'webhook delivery')!;
    expect(hooks.received[0]?.traceparent).toMatch(new RegExp(`^00-${delivery.traceId}-[0-9a-f]{16}-01$`));

    // The alert's record carries the article's trace: in its value, and as the trace its consumers continue.
    const record = await eventually(
      async () => alertRecords.find((m) => m.headers?.['event-id']?.toString() === alert.alertId),
      30_000,
      'the alert on sentiment.alerts.v1',
    );
    const value = fromBinary(SentimentAlertSchema, record.value as Buffer);
    expect(value.traceId).toBe(callerTrace);
    expect(value.completedByArticleId).toBe(completing.id);
    expect(record.headers?.traceparent?.toString()).toMatch(
      new RegExp(`^00-${callerTrace}-[0-9a-f]{16}-01$`),
    );

    // The dashboard links the alert to the trace viewer.
    const page = await (await fetch(`${stack.url('sentiment-monitor')}/`)).text();
    expect(page).toContain(JSON.stringify(TRACE_UI));
  }, 300_000);

  it('ignores a malformed traceparent (a new trace) and exports nothing for an unsampled caller', async () => {
    await quiet();
    receiver.clear();
    const publishedAt = new Date(Date.now() - 60_000);
    const [malformed, unsampled] = generateNews({
      seed: 900,
      count: 2,
      start: publishedAt,
      spacingMs: 1_000,
      tickers: [QUIET],
    }).map((a, i) => ({
      id: `trace-${run}-q${i}`,
      source: a.source,
      published_at: a.published_at,
      headline: a.headline,
      body: `${a.body} (${run} q${i})`,
      language: 'en',
    }));
    // One after the other, so that no consumer batch holds both.
    const garbage = `00-${callerTrace}-nothex-01`;
    expect((await postNews([malformed], { traceparent: garbage })).status).toBe(202);
    await eventually(
      async () => ((await counted(QUIET)) === 1 ? true : undefined),
      120_000,
      'the first counted',
    );
    const quietTrace = hex(16);
    expect((await postNews([unsampled], { traceparent: `00-${quietTrace}-${hex(8)}-00` })).status).toBe(202);
    await eventually(
      async () => ((await counted(QUIET)) === 2 ? true : undefined),
      120_000,
      'the second counted',
    );
    await quiet();
    const spans = [...receiver.spans];
    const posts = spans.filter((s) => s.name === 'POST /v1/news');
    expect(posts, describeSpans(spans)).toHaveLength(1);
    const fresh = posts[0]!;
    expect(fresh.parentSpanId).toBeUndefined();
    expect([callerTrace, quietTrace]).not.toContain(fresh.traceId);
    expect(spans.some((s) => s.traceId === fresh.traceId && s.name === 'news.scored.v1 process')).toBe(true);
    expect(spans.filter((s) => s.traceId === quietTrace)).toEqual([]);
  }, 180_000);

  it('continues a sampled caller at the recommendations edge (HTTP and gRPC), and records nothing for an unsampled one', async () => {
    await quiet();
    receiver.clear();
    const grpc = createClient(RecommendationService, createGrpcTransport({ baseUrl: stack.grpcUrl }));
    const [httpTrace, httpSpan, rpcTrace, rpcSpan, unsampled] = [hex(16), hex(8), hex(16), hex(8), hex(16)];
    const recs = `${stack.url('scoring')}/v1/users/u-${run}/recommendations?k=5`;
    const answered = await fetch(recs, {
      headers: { traceparent: `00-${httpTrace}-${httpSpan}-01`, tracestate: 'desk=fx' },
    });
    expect(answered.status).toBeLessThan(500);
    await fetch(recs, { headers: { traceparent: `00-${unsampled}-${hex(8)}-00` } });
    // The answer does not matter here (this stack has no recommender): the call's span does.
    const call = (traceparent: string) =>
      grpc
        .getRecommendations({ userId: `u-${run}`, k: 5 }, { headers: { traceparent, tracestate: 'desk=fx' } })
        .catch(() => undefined);
    await call(`00-${rpcTrace}-${rpcSpan}-01`);
    await call(`00-${unsampled}-${hex(8)}-00`);
    await quiet();
    const spans = [...receiver.spans];
    const http = spans.find((s) => s.traceId === httpTrace);
    expect(http, describeSpans(spans)).toMatchObject({
      service: 'mercato-scoring',
      name: 'GET /v1/users/:userId/recommendations',
      kind: SERVER,
      parentSpanId: httpSpan,
      traceState: 'desk=fx',
    });
    expect(JSON.stringify(http?.attributes)).not.toContain(`u-${run}`);
    const rpc = spans.find((s) => s.traceId === rpcTrace);
    expect(rpc).toMatchObject({
      service: 'mercato-scoring',
      name: 'mercato.scoring.v1.RecommendationService/GetRecommendations',
      kind: SERVER,
      parentSpanId: rpcSpan,
      traceState: 'desk=fx',
    });
    expect(typeof rpc?.attributes['rpc.grpc.status_code']).toBe('number');
    expect(spans.filter((s) => s.traceId === unsampled)).toEqual([]);
  }, 60_000);

  it("gives every other gRPC call a server span in its caller's trace, or a new one, as the sampler decides", async () => {
    await quiet();
    receiver.clear();
    const sentiment = createClient(SentimentService, createGrpcTransport({ baseUrl: stack.grpcUrl }));
    const [textTrace, textSpan, unsampled] = [hex(16), hex(8), hex(16)];
    const score = (headers: Record<string, string>) =>
      sentiment.scoreText({ texts: [`Shares of ${T} fell sharply (${run})`] }, { headers });
    expect(
      (await score({ traceparent: `00-${textTrace}-${textSpan}-01`, tracestate: 'desk=fx' })).scores,
    ).toHaveLength(1);
    expect((await score({})).scores).toHaveLength(1);
    expect((await score({ traceparent: `00-${unsampled}-${hex(8)}-00` })).scores).toHaveLength(1);
    await quiet();
    const spans = [...receiver.spans];
    const calls = spans.filter((s) => s.name === 'mercato.scoring.v1.SentimentService/ScoreText');
    expect(calls, describeSpans(spans)).toHaveLength(2);
    const [continued, fresh] = [
      calls.find((s) => s.traceId === textTrace),
      calls.find((s) => s.traceId !== textTrace),
    ];
    expect(continued).toMatchObject({
      service: 'mercato-scoring',
      kind: SERVER,
      parentSpanId: textSpan,
      traceState: 'desk=fx',
      attributes: { 'rpc.grpc.status_code': 0 },
    });
    expect(fresh).toMatchObject({ kind: SERVER, parentSpanId: undefined, traceState: undefined });
    expect(fresh?.traceId).not.toBe(unsampled);
    expect(spans.filter((s) => s.traceId === unsampled)).toEqual([]);
  }, 60_000);

  it("keeps a training job's heartbeat out of the job's trace", async () => {
    await quiet();
    receiver.clear();
    const [jobTrace, jobSpan] = [hex(16), hex(8)];
    const training = stack.url('training');
    // A long job, cancelled once it has run a few heartbeats: only the heartbeat sees a cancellation.
    const submitted = await fetch(`${training}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${jobTrace}-${jobSpan}-01` },
      body: JSON.stringify({
        modelName: `trace-job-${run}`,
        kind: 'sentiment',
        architecture: 'cnn',
        datasetRef: 'synthetic:news?seed=2&count=3000',
        hyperparameters: {
          epochs: 500,
          patience: 500,
          embeddingDim: 32,
          filters: 64,
          hidden: 32,
          maxLength: 24,
        },
      }),
    });
    expect(submitted.status).toBe(202);
    const { requestId } = (await submitted.json()) as { requestId: string };
    const job = `${training}/v1/jobs/${requestId}`;
    await eventually(
      async () =>
        (await getJson<{ status: string }>(job).catch(() => undefined))?.status === 'running'
          ? true
          : undefined,
      60_000,
      'the job running',
    );
    await new Promise((r) => setTimeout(r, 7_000));
    const cancel = await fetch(`${job}/cancel`, { method: 'POST' });
    expect(cancel.status, await cancel.text()).toBe(202);
    await eventually(
      async () => ((await getJson<{ status: string }>(job)).status === 'cancelled' ? true : undefined),
      60_000,
      'the job cancelled',
    );
    await quiet();
    const trace = receiver.spans.filter((s) => s.traceId === jobTrace);
    const listing = describeSpans(trace);
    expect(
      trace.some((s) => s.name === 'training.requests.v1 process'),
      listing,
    ).toBe(true);
    const heartbeat = trace.filter((s) =>
      String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? '').includes(
        'cancel_requested_at FROM jobs',
      ),
    );
    expect(describeSpans(heartbeat)).toBe('');
    process.stdout.write(`[tracing] a cancelled training job's trace: ${trace.length} spans\n`);
  }, 180_000);

  it('exports no span from an idle stack', async () => {
    await quiet();
    const stream = new AbortController();
    const sse = await fetch(`${stack.url('sentiment-monitor')}/v1/alerts/stream`, { signal: stream.signal });
    expect(sse.status).toBe(200);
    await quiet();
    receiver.clear();
    // Probes and scrapes, as Kubernetes and Prometheus send them, while every poller runs.
    for (let round = 0; round < 3; round++) {
      for (const name of SERVICE_NAMES) {
        expect((await fetch(`${stack.url(name)}/healthz/ready`)).status).toBe(200);
        expect((await fetch(`${stack.url(name)}/metrics`)).status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, 1_500));
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const spans = [...receiver.spans];
    stream.abort();
    expect(describeSpans(spans)).toBe('');
    expect(receiver.problems).toEqual([]);
  }, 120_000);
});
