import { ROOT_CONTEXT, SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import { startOtlpReceiver, type OtlpReceiver } from '@mercato/testing';
import type * as Http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bypassInstrumentationWhenUntraced,
  hotRouteDecision,
  inBackground,
  isSampled,
  nameServerSpan,
  recordWork,
  redactUrl,
  samplerOf,
  spanContextOf,
  startTelemetry,
  stopTelemetry,
  traceWork,
  tracingSettings,
  unobservedPath,
} from './tracing';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const sampled = `00-${TRACE}-${CALLER_SPAN}-01`;
const unsampled = `00-${TRACE}-${CALLER_SPAN}-00`;
const MALFORMED = [
  'garbage-01',
  `00-${TRACE}-${CALLER_SPAN}`,
  `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`,
  `ff-${TRACE}-${CALLER_SPAN}-01`,
];

/** Telemetry started afresh with these variables (and restored afterwards by the next call). */
async function restart(
  env: Record<string, string>,
  options: Parameters<typeof startTelemetry>[0],
): Promise<void> {
  await stopTelemetry();
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, env);
  try {
    startTelemetry(options);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

/** node:http required after the SDK started, so the instrumentation patches it as in a service. */
const http = (): typeof Http => createRequire(__filename)('node:http') as typeof Http;

async function listen(server: Http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Http.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

afterAll(stopTelemetry);

describe('startTelemetry without an OTLP endpoint', () => {
  it('still records spans with real trace ids, so logs and traceparent headers carry them', async () => {
    await restart({}, { serviceName: 'tracing-spec' });
    const span = trace.getTracer('spec').startSpan('work');
    const { traceId, spanId } = span.spanContext();
    span.end();
    expect(span.isRecording()).toBe(false);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    expect(spanId).not.toBe('0'.repeat(16));
  });
});

describe('tracing variables', () => {
  it('default to a parent-based sampler and 1% of root hot-route requests', () => {
    expect(tracingSettings({})).toEqual({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_TRACES_SAMPLER_ARG: 1,
      TRACES_HOT_ROUTE_RATIO: 0.01,
    });
  });

  it('are read, and an invalid one leaves the defaults (the service configuration then names it)', () => {
    const env = {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      TRACES_HOT_ROUTE_RATIO: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    };
    expect(tracingSettings(env)).toEqual({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 0.25,
      TRACES_HOT_ROUTE_RATIO: 0,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(tracingSettings({ OTEL_TRACES_SAMPLER: 'sometimes' }).OTEL_TRACES_SAMPLER).toBe(
      'parentbased_always_on',
    );
    expect(tracingSettings({ TRACES_HOT_ROUTE_RATIO: '2' }).TRACES_HOT_ROUTE_RATIO).toBe(0.01);
  });

  it('name samplers that follow the caller when parent-based', () => {
    const decide = (name: Parameters<typeof samplerOf>[0], ratio: number, traceparent?: string) => {
      const parent = spanContextOf(traceparent);
      const ctx = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
      return samplerOf(name, ratio).shouldSample(ctx, TRACE, 'x', SpanKind.SERVER, {}, []).decision;
    };
    expect(decide('parentbased_always_on', 1)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide('parentbased_always_on', 1, unsampled)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide('parentbased_always_off', 1, sampled)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide('parentbased_always_off', 1)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide('parentbased_traceidratio', 0, sampled)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide('parentbased_traceidratio', 0)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide('always_on', 1, unsampled)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide('traceidratio', 1)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });
});

describe('redactUrl', () => {
  it('drops the query and the user id of /v1/users/{id} paths', () => {
    expect(redactUrl('/v1/alerts/stream?access_token=mk_abc&lastEventId=3')).toBe('/v1/alerts/stream');
    expect(redactUrl('/v1/users/jane%40example.com/recommendations?k=10')).toBe(
      '/v1/users/{userId}/recommendations',
    );
    expect(redactUrl('http://127.0.0.1:8082/v1/users/abc123')).toBe(
      'http://127.0.0.1:8082/v1/users/{userId}',
    );
    expect(redactUrl('/v1/news#frag')).toBe('/v1/news');
  });
});

describe('trace contexts', () => {
  it('never traces probes or scrapes', () => {
    expect(unobservedPath('/healthz/ready')).toBe(true);
    expect(unobservedPath('/metrics')).toBe(true);
    expect(unobservedPath('/metrics?x=1')).toBe(true);
    expect(unobservedPath('/metricsx')).toBe(false);
    expect(unobservedPath('/v1/news')).toBe(false);
  });

  it('reads a traceparent, and ignores a malformed one', () => {
    const span = spanContextOf(sampled);
    expect(span).toMatchObject({ traceId: TRACE, spanId: CALLER_SPAN, isRemote: true });
    expect(isSampled(span)).toBe(true);
    expect(isSampled(spanContextOf(unsampled))).toBe(false);
    for (const bad of [...MALFORMED, '', null, undefined]) expect(spanContextOf(bad)).toBeUndefined();
  });
});

describe('hot routes at the edge', () => {
  it("follow the caller's decision and keep its context", async () => {
    await restart({ TRACES_HOT_ROUTE_RATIO: '0' }, { serviceName: 'tracing-spec' });
    const traced = hotRouteDecision({ traceparent: sampled, tracestate: 'vendor=a' });
    expect(traced.traced).toBe(true);
    expect(trace.getSpanContext(traced.context)?.spanId).toBe(CALLER_SPAN);

    const untraced = hotRouteDecision({ traceparent: unsampled, tracestate: 'vendor=a' });
    expect(untraced.traced).toBe(false);
    const headers: Record<string, string> = {};
    propagation.inject(untraced.context, headers);
    expect(headers).toEqual({ traceparent: unsampled, tracestate: 'vendor=a' });
  });

  it('start a new unsampled trace without a caller context, or with a malformed one', async () => {
    await restart({ TRACES_HOT_ROUTE_RATIO: '0' }, { serviceName: 'tracing-spec' });
    for (const carrier of [{}, ...MALFORMED.map((traceparent) => ({ traceparent }))]) {
      const decision = hotRouteDecision(carrier);
      expect(decision.traced).toBe(false);
      const span = trace.getSpanContext(decision.context);
      expect(span?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span?.traceId).not.toBe(TRACE);
      expect(isSampled(span)).toBe(false);
    }
  });

  it('trace TRACES_HOT_ROUTE_RATIO of requests without a caller context', async () => {
    await restart({ TRACES_HOT_ROUTE_RATIO: '1' }, { serviceName: 'tracing-spec' });
    expect(hotRouteDecision({}).traced).toBe(true);
    expect(hotRouteDecision({ traceparent: unsampled }).traced).toBe(false);
  });
});

describe('bypassInstrumentationWhenUntraced', () => {
  it("serves untraced hot requests in the caller's (or a new unsampled) trace without a span, probes suppressed", async () => {
    await restart(
      { TRACES_HOT_ROUTE_RATIO: '0' },
      { serviceName: 'tracing-spec', hotRoutes: [{ path: /^\/hot(?:[?#]|$)/, route: '/hot' }] },
    );
    const seen: { url: string; suppressed: boolean; recording: boolean; traceId: string | undefined }[] = [];
    const server = http().createServer((req, res) => {
      const active = context.active();
      const span = trace.getSpan(active);
      seen.push({
        url: req.url ?? '',
        suppressed: isTracingSuppressed(active),
        recording: span?.isRecording() ?? false,
        traceId: span?.spanContext().traceId,
      });
      res.end('ok');
    });
    bypassInstrumentationWhenUntraced(server);
    expect(Object.hasOwn(server, 'emit')).toBe(true);
    const base = await listen(server);
    try {
      for (const [path, traceparent] of [
        ['/hot?k=1', undefined],
        ['/hot', unsampled],
        ['/hot', sampled],
        ['/hot', 'garbage-01'],
        ['/cold', undefined],
        ['/healthz/ready', sampled],
        ['/metrics', undefined],
      ] as const) {
        const res = await fetch(`${base}${path}`, { headers: traceparent ? { traceparent } : {} });
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('ok');
      }
    } finally {
      await close(server);
    }
    const [fresh, callerUnsampled, callerSampled, malformed, cold, probe, scrape] = seen;
    expect(fresh).toMatchObject({ suppressed: false, recording: false });
    expect(fresh?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(callerUnsampled).toEqual({ url: '/hot', suppressed: false, recording: false, traceId: TRACE });
    expect(callerSampled).toEqual({ url: '/hot', suppressed: false, recording: true, traceId: TRACE });
    expect(malformed).toMatchObject({ suppressed: false, recording: false });
    expect(malformed?.traceId).not.toBe(TRACE);
    expect(cold).toMatchObject({ suppressed: false, recording: true });
    expect(probe).toEqual({ url: '/healthz/ready', suppressed: true, recording: false, traceId: undefined });
    expect(scrape).toEqual({ url: '/metrics', suppressed: true, recording: false, traceId: undefined });
  });

  it('leaves a server alone when telemetry is not started', async () => {
    await stopTelemetry();
    const server = http().createServer();
    bypassInstrumentationWhenUntraced(server);
    expect(Object.hasOwn(server, 'emit')).toBe(false);
  });
});

describe('spans exported over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());
  afterEach(() => receiver.clear());

  /** Runs the scenario with telemetry exporting to the receiver, then flushes by stopping it. */
  async function exported(scenario: () => Promise<void>): Promise<OtlpReceiver['spans']> {
    await restart(
      { TRACES_HOT_ROUTE_RATIO: '0' },
      {
        serviceName: 'tracing-spec',
        otlpEndpoint: receiver.endpoint,
        hotRoutes: [{ path: /^\/hot\/[^/?#]+(?:[?#]|$)/, route: '/hot/:id' }],
      },
    );
    await scenario();
    await stopTelemetry();
    expect(receiver.problems).toEqual([]);
    return receiver.spans;
  }

  it("continues the caller's trace (traceparent and tracestate) under a span named by route, and starts a new one for a malformed traceparent", async () => {
    const spans = await exported(async () => {
      const server = http().createServer((req, res) => {
        if (req.url?.startsWith('/items/')) nameServerSpan(req.method ?? 'GET', '/items/:id');
        res.end('ok');
      });
      bypassInstrumentationWhenUntraced(server);
      const base = await listen(server);
      try {
        // A hot route is named as its span starts; untraced, it exports nothing.
        const caller = { traceparent: sampled, tracestate: 'desk=fx' };
        expect((await fetch(`${base}/hot/7`, { headers: caller })).status).toBe(200);
        expect((await fetch(`${base}/hot/8`)).status).toBe(200);
        expect((await fetch(`${base}/items/7?secret=1`, { headers: caller })).status).toBe(200);
        expect((await fetch(`${base}/items/8`, { headers: { traceparent: MALFORMED[0]! } })).status).toBe(
          200,
        );
      } finally {
        await close(server);
      }
    });
    const servers = spans.filter((s) => s.kind === 2);
    expect(servers.map((s) => s.name)).toEqual(['GET /hot/:id', 'GET /items/:id', 'GET /items/:id']);
    const [hot, continued, fresh] = servers;
    expect(hot).toMatchObject({
      traceId: TRACE,
      parentSpanId: CALLER_SPAN,
      traceState: 'desk=fx',
      attributes: { 'http.route': '/hot/:id' },
    });
    expect(continued).toMatchObject({
      service: 'mercato-tracing-spec',
      traceId: TRACE,
      parentSpanId: CALLER_SPAN,
      traceState: 'desk=fx',
    });
    expect(continued?.attributes['http.route']).toBe('/items/:id');
    expect(JSON.stringify(continued?.attributes)).not.toContain('secret');
    expect(fresh?.traceId).not.toBe(TRACE);
    expect(fresh?.parentSpanId).toBeUndefined();
    expect(fresh?.traceState).toBeUndefined();
  });

  it('sends OTLP protobuf when OTEL_EXPORTER_OTLP_PROTOCOL says so', async () => {
    await restart(
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
      { serviceName: 'tracing-spec', otlpEndpoint: receiver.endpoint },
    );
    trace.getTracer('spec').startSpan('work').end();
    // This receiver reads JSON only: it answers 415 (the flush fails) and keeps the request as a problem.
    await expect(stopTelemetry()).rejects.toThrow(/Unsupported Media Type/);
    expect(receiver.problems).toEqual(['POST /v1/traces as application/x-protobuf']);
  });

  it('records nothing of background work, and a trace of its own for each unit that does something', async () => {
    const origin = `00-${TRACE}-${CALLER_SPAN}-01`;
    const spans = await exported(async () => {
      const tracer = trace.getTracer('spec');
      await inBackground(async () => {
        tracer.startSpan('idle poll query').end();
        await traceWork(
          'relay batch',
          async () => {
            tracer.startSpan('publish').end();
          },
          { attributes: { 'mercato.rows': 2 }, links: [origin, 'garbage'] },
        );
        recordWork('purge', Date.now() - 50, { 'mercato.rows': 3 });
      });
      // Work woken inside a sampled trace still starts its own.
      await context.with(trace.setSpanContext(ROOT_CONTEXT, spanContextOf(sampled)!), () =>
        inBackground(() => traceWork('woken work', async () => undefined)),
      );
    });
    expect(spans.map((s) => s.name).sort()).toEqual(['publish', 'purge', 'relay batch', 'woken work']);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const relay = byName.get('relay batch')!;
    expect(relay.parentSpanId).toBeUndefined();
    expect(relay.traceId).not.toBe(TRACE);
    expect(relay.links).toEqual([{ traceId: TRACE, spanId: CALLER_SPAN }]);
    expect(byName.get('publish')).toMatchObject({ traceId: relay.traceId, parentSpanId: relay.spanId });
    expect(byName.get('purge')).toMatchObject({ parentSpanId: undefined, attributes: { 'mercato.rows': 3 } });
    expect(byName.get('purge')!.endMs - byName.get('purge')!.startMs).toBeGreaterThanOrEqual(40);
    expect(byName.get('woken work')).toMatchObject({ parentSpanId: undefined });
    expect(byName.get('woken work')!.traceId).not.toBe(TRACE);
  });
});
