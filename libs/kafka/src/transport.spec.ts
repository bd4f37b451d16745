import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { isSampled, startTelemetry, stopTelemetry } from '@mercato/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaRecordInfo } from './context';
import { processingContext } from './transport';

const A = '4bf92f3577b34da6a3ce929d0e0e4736';
const B = '0af7651916cd43dd8448eb211c80319c';
const tp = (traceId: string, spanId: string, flags: '00' | '01'): string =>
  `00-${traceId}-${spanId}-${flags}`;

const record = (traceparent?: string): KafkaRecordInfo => ({
  topic: 'news.scored.v1',
  partition: 0,
  offset: '1',
  key: 'T',
  headers: traceparent === undefined ? {} : { traceparent },
  eventId: 'e',
  tenantId: undefined,
  timestamp: 0,
  attempt: 1,
});

describe('processingContext', () => {
  beforeAll(() => startTelemetry({ serviceName: 'transport-spec' }));
  afterAll(stopTelemetry);

  it("continues the producer's trace when the records share one", () => {
    const { parent, links } = processingContext([
      record(tp(A, '00f067aa0ba902b7', '01')),
      record(tp(A, '00f067aa0ba902b7', '01')),
    ]);
    expect(trace.getSpanContext(parent)).toMatchObject({ traceId: A, spanId: '00f067aa0ba902b7' });
    expect(links).toEqual([]);
  });

  it('starts a trace, linked to every record, when they come from several', () => {
    const sampled = processingContext([
      record(tp(A, '00f067aa0ba902b7', '01')),
      record(tp(B, 'b7ad6b7169203331', '00')),
      record(),
    ]);
    expect(trace.getSpanContext(sampled.parent)).toBeUndefined();
    expect(sampled.links.map((l) => l.context.traceId)).toEqual([A, B]);

    // None of them sampled: the batch records nothing either.
    const unsampled = processingContext([
      record(tp(A, '00f067aa0ba902b7', '00')),
      record(tp(B, 'b7ad6b7169203331', '00')),
    ]);
    const span = trace.getSpanContext(unsampled.parent);
    expect(span?.traceId).not.toBe(A);
    expect(isSampled(span)).toBe(false);
    expect(unsampled.links).toHaveLength(2);
  });

  it('starts a trace for records without one, or with a malformed traceparent', () => {
    for (const records of [[record()], [record('garbage'), record(`00-${A}-zz-01`)]]) {
      const { parent, links } = processingContext(records);
      expect(parent).toBe(ROOT_CONTEXT);
      expect(links).toEqual([]);
    }
  });
});
