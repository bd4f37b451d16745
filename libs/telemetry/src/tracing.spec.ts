import { context, trace } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import type * as Http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bypassInstrumentationWhenUntraced,
  redactUrl,
  sampledParent,
  startTelemetry,
  stopTelemetry,
  untracedRequest,
} from './tracing';

describe('startTelemetry without an OTLP endpoint', () => {
  afterAll(stopTelemetry);

  it('still records spans with real trace ids, so logs and traceparent headers carry them', () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    startTelemetry({ serviceName: 'tracing-spec' });
    const span = trace.getTracer('spec').startSpan('work');
    const { traceId, spanId } = span.spanContext();
    span.end();
    expect(span.isRecording()).toBe(false);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe('0'.repeat(32));
    expect(spanId).not.toBe('0'.repeat(16));
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

describe('untracedRequest', () => {
  const hot = [/^\/v1\/users\/[^/]+\/recommendations/];
  const sampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const unsampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';

  it('traces a hot read only when the caller samples its trace', () => {
    const url = '/v1/users/u1/recommendations?k=10';
    expect(untracedRequest({ url, headers: {} }, hot)).toBe(true);
    expect(untracedRequest({ url, headers: { traceparent: unsampled } }, hot)).toBe(true);
    expect(untracedRequest({ url, headers: { traceparent: sampled } }, hot)).toBe(false);
    expect(untracedRequest({ url, headers: { traceparent: 'garbage-01' } }, hot)).toBe(true);
  });

  it('traces every other request, and never the probes', () => {
    expect(untracedRequest({ url: '/v1/interactions', headers: {} }, hot)).toBe(false);
    expect(untracedRequest({ url: '/v1/users/u1', headers: {} }, hot)).toBe(false);
    expect(untracedRequest({ url: '/healthz/ready', headers: { traceparent: sampled } }, hot)).toBe(true);
  });

  it('reads the sampled flag from the flags byte', () => {
    expect(sampledParent(sampled)).toBe(true);
    expect(sampledParent(unsampled)).toBe(false);
    expect(sampledParent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03')).toBe(true);
    expect(sampledParent([sampled])).toBe(true);
    expect(sampledParent(undefined)).toBe(false);
  });
});

describe('bypassInstrumentationWhenUntraced', () => {
  afterAll(stopTelemetry);

  it('serves untraced requests with tracing suppressed and no span, and traces the others', async () => {
    await stopTelemetry();
    startTelemetry({ serviceName: 'tracing-spec', tracedOnlyWhenSampled: [/^\/hot(?:[?#]|$)/] });
    // Required after the SDK started, so the instrumentation patches http.Server as in a service.
    const http = createRequire(__filename)('node:http') as typeof Http;
    const seen: { url: string; suppressed: boolean; traceId: string | undefined }[] = [];
    const server = http.createServer((req, res) => {
      const active = context.active();
      seen.push({
        url: req.url ?? '',
        suppressed: isTracingSuppressed(active),
        traceId: trace.getSpan(active)?.spanContext().traceId,
      });
      res.end('ok');
    });
    bypassInstrumentationWhenUntraced(server);
    expect(Object.hasOwn(server, 'emit')).toBe(true);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      for (const [path, traceparent] of [
        ['/hot?k=1', undefined],
        ['/hot', `00-${traceId}-00f067aa0ba902b7-00`],
        ['/hot', `00-${traceId}-00f067aa0ba902b7-01`],
        ['/cold', undefined],
        ['/healthz/ready', undefined],
      ] as const) {
        const res = await fetch(`${base}${path}`, { headers: traceparent ? { traceparent } : {} });
        expect(await res.text()).toBe('ok');
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(seen[0]).toEqual({ url: '/hot?k=1', suppressed: true, traceId: undefined });
    expect(seen[1]).toEqual({ url: '/hot', suppressed: true, traceId: undefined });
    expect(seen[2]).toEqual({ url: '/hot', suppressed: false, traceId });
    expect(seen[3]?.suppressed).toBe(false);
    expect(seen[3]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[4]).toEqual({ url: '/healthz/ready', suppressed: true, traceId: undefined });
  });

  it('leaves a server alone when telemetry is not started', async () => {
    await stopTelemetry();
    const http = createRequire(__filename)('node:http') as typeof Http;
    const server = http.createServer();
    bypassInstrumentationWhenUntraced(server);
    expect(Object.hasOwn(server, 'emit')).toBe(false);
  });
});
