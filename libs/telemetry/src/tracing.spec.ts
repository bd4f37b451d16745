import { trace } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { startTelemetry, stopTelemetry } from './tracing';

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
