import { trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { redactUrl, startTelemetry, stopTelemetry } from './tracing';

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
