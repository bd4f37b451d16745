import { describe, expect, it } from 'vitest';
import { completingObservation, evidenceTraceId } from './alert-trace';
import type { NewAlert } from './alert.repository';
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
