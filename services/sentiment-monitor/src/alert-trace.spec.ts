import { startTelemetry, stopTelemetry } from '@mercato/telemetry';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@mercato/testing';
import { ROOT_CONTEXT, TraceFlags, createTraceState, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completingObservation, evidenceTraceId, traceAlertRaised } from './alert-trace';
import type { AlertRecord, NewAlert } from './alert.repository';
import type { Observation } from './window-aggregate';

const MINUTE = 60_000;
const alert = {
  tenantId: 'acme',
  ticker: 'TSLA',
  windowStart: 10 * MINUTE,
  windowEnd: 15 * MINUTE,
} as NewAlert;

const obs = (eventId: string, ticker: string, minute: number, tenantId = 'acme'): Observation => ({
  eventId,
  tenantId,
  ticker,
  articleId: `article-${eventId}`,
  headline: '',
  source: '',
  eventTime: minute * MINUTE,
  label: 'negative',
  probNegative: 0.9,
  probNeutral: 0.05,
  probPositive: 0.05,
  modelVersion: 'sentiment@1',
});

describe('the record that completed an alert', () => {
  it("is the batch's last record counted into the alert's window", () => {
    const batch = [obs('a', 'TSLA', 11), obs('b', 'TSLA', 12), obs('c', 'TSLA', 16), obs('d', 'BA', 13)];
    expect(completingObservation(alert, batch, new Set())?.eventId).toBe('b');
  });

  it('leaves out late records, other tickers and other tenants', () => {
    const batch = [
      obs('a', 'TSLA', 11),
      obs('b', 'TSLA', 12),
      obs('x', 'TSLA', 13, 'other'),
      obs('y', 'BA', 14),
    ];
    expect(completingObservation(alert, batch, new Set(['b']))?.eventId).toBe('a');
  });

  it("is the ticker's last counted record when the window alerted as it closed", () => {
    const batch = [obs('a', 'TSLA', 25), obs('b', 'TSLA', 31), obs('c', 'TSLA', 40)];
    expect(completingObservation(alert, batch, new Set(['c']))?.eventId).toBe('b');
    expect(completingObservation(alert, [obs('d', 'BA', 12)], new Set())).toBeUndefined();
  });
});

describe("the alert's evidence trace", () => {
  it("is the completing record's trace id, when that trace was sampled", () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const with_ = (traceparent: string | null) => evidenceTraceId({ articleId: 'a', traceparent });
    expect(with_(`00-${traceId}-00f067aa0ba902b7-01`)).toBe(traceId);
    expect(with_(`00-${traceId}-00f067aa0ba902b7-00`)).toBeNull();
    expect(with_('garbage')).toBeNull();
    expect(with_(null)).toBeNull();
    expect(evidenceTraceId(null)).toBeNull();
  });
});

describe("the span 'sentiment alert raised'", () => {
  const ARTICLE_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
  const ARTICLE_SPAN = '00f067aa0ba902b7';
  const OTHER_TRACE = 'a'.repeat(32);
  const raisedAlert = (alertId: string) =>
    ({
      alertId,
      completedBy: { articleId: 'a-1', traceparent: `00-${ARTICLE_TRACE}-${ARTICLE_SPAN}-01` },
    }) as AlertRecord;
  let receiver: OtlpReceiver;
  let spans: ReceivedSpan[];
  const raised = (alertId: string) =>
    spans.find((s) => s.name === 'sentiment alert raised' && s.attributes['mercato.alert.id'] === alertId);

  // One telemetry session (the module's tracer keeps the provider it first saw): an alert raised in a
  // batch of the article's trace, one in a batch of another trace, then a flush.
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    startTelemetry({ serviceName: 'alert-trace-spec', otlpEndpoint: receiver.endpoint });
    for (const [alertId, traceId] of [
      ['same', ARTICLE_TRACE],
      ['other', OTHER_TRACE],
    ] as const) {
      const batch = trace.setSpanContext(ROOT_CONTEXT, {
        traceId,
        spanId: 'a2fb4a1d1a96d312',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
        traceState: createTraceState('desk=fx'),
      });
      trace.getTracer('spec').startActiveSpan(`${alertId} batch`, {}, batch, (span) => {
        traceAlertRaised(raisedAlert(alertId), Date.now());
        span.end();
      });
    }
    await stopTelemetry();
    spans = [...receiver.spans];
  });
  afterAll(() => receiver.close());

  it("is a child of the article's span, with the tracestate of the batch's trace", () => {
    expect(receiver.problems).toEqual([]);
    expect(raised('same')).toMatchObject({
      traceId: ARTICLE_TRACE,
      parentSpanId: ARTICLE_SPAN,
      traceState: 'desk=fx',
      links: [],
      attributes: { 'mercato.article.id': 'a-1' },
    });
  });

  it("links the batch's span when that is in another trace, and takes nothing of its tracestate", () => {
    const batch = spans.find((s) => s.name === 'other batch');
    expect(raised('other')).toMatchObject({
      traceId: ARTICLE_TRACE,
      parentSpanId: ARTICLE_SPAN,
      traceState: undefined,
      links: [{ traceId: OTHER_TRACE, spanId: batch?.spanId }],
    });
  });
});
