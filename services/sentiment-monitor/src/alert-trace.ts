// An alert in the trace of the article that completed it. The completing record is the last one of
// the raising batch (in partition order) counted into the alert's window; when the window alerted
// as it closed, the last one counted for its ticker (its event time closed the window). That
// record's trace context becomes the alert's: the span "sentiment alert raised" is its child, the
// alert's Kafka record carries it as its creation context, the relay links to it, and the API shows
// its trace id when the trace was sampled (a dashboard link then leads to it).
import { isSampled, spanContextOf } from '@mercato/telemetry';
import { ROOT_CONTEXT, context, trace } from '@opentelemetry/api';
import type { AlertRecord, CompletedBy, NewAlert } from './alert.repository';
import type { Observation } from './window-aggregate';

const tracer = trace.getTracer('@mercato/sentiment-monitor');

/** The record that completed the alert, among the batch's records not left out as late. */
export function completingObservation(
  alert: NewAlert,
  observations: readonly Observation[],
  notCounted: ReadonlySet<string>,
): Observation | undefined {
  let last: Observation | undefined;
  let inWindow: Observation | undefined;
  for (const o of observations) {
    if (o.tenantId !== alert.tenantId || o.ticker !== alert.ticker || notCounted.has(o.eventId)) continue;
    last = o;
    if (o.eventTime >= alert.windowStart && o.eventTime < alert.windowEnd) inWindow = o;
  }
  return inWindow ?? last;
}

/** The trace id a reader can follow: the completing record's, when its trace was sampled. */
export function evidenceTraceId(completedBy: CompletedBy | null): string | null {
  const span = spanContextOf(completedBy?.traceparent);
  return span !== undefined && isSampled(span) ? span.traceId : null;
}

/**
 * Records the committed alert as a span of the completing article's trace, from the batch's start
 * (`startedAt`, ms) to now, linked to the batch's own span when that is in another trace (a batch of
 * several traces). Without the article's context, a child of the batch's span; without either, none.
 * The alert keeps the article's traceparent alone: in the batch's own trace, the span takes the
 * batch's tracestate (the caller's, passed down), as every other span of that trace has it.
 */
export function traceAlertRaised(alert: AlertRecord, startedAt: number): void {
  const completing = spanContextOf(alert.completedBy?.traceparent);
  const batch = trace.getActiveSpan()?.spanContext();
  if (completing === undefined && batch === undefined) return;
  const article =
    completing && batch?.traceId === completing.traceId
      ? { ...completing, traceState: batch.traceState }
      : completing;
  tracer
    .startSpan(
      'sentiment alert raised',
      {
        startTime: startedAt,
        attributes: {
          'mercato.alert.id': alert.alertId,
          'mercato.alert.ticker': alert.ticker,
          'mercato.alert.window': alert.windowSize,
          'mercato.alert.direction': alert.direction,
          'mercato.alert.severity': alert.severity,
          'mercato.article.id': alert.completedBy?.articleId ?? '',
        },
        links: article && batch && batch.traceId !== article.traceId ? [{ context: batch }] : [],
      },
      article ? trace.setSpanContext(ROOT_CONTEXT, article) : context.active(),
    )
    .end();
}
