import { ROOT_CONTEXT, context, trace, type SpanContext } from '@opentelemetry/api';
import { isSampled, spanContextOf, startTelemetry, stopTelemetry } from '@mercato/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Poller } from './poller';

const caller = spanContextOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01') as SpanContext;
const inCallersTrace = <T>(fn: () => T): T => context.with(trace.setSpanContext(ROOT_CONTEXT, caller), fn);

describe('Poller', () => {
  beforeAll(() => startTelemetry({ serviceName: 'poller-spec' }));
  afterAll(stopTelemetry);

  it('runs each step in an unsampled trace of its own, never in the trace of what started or kicked it', async () => {
    const seen: (SpanContext | undefined)[] = [];
    const poller = new Poller({
      intervalMs: 10,
      step: async () => {
        seen.push(trace.getSpanContext(context.active()));
        return false;
      },
      onError: (err) => {
        throw err;
      },
    });
    inCallersTrace(() => poller.start());
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 5));
    inCallersTrace(() => poller.kick());
    const kicked = seen.length + 1;
    while (seen.length < kicked + 2) await new Promise((r) => setTimeout(r, 5));
    await poller.stop();
    for (const span of seen) {
      expect(span?.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span?.traceId).not.toBe(caller.traceId);
      expect(isSampled(span)).toBe(false);
    }
    expect(new Set(seen.map((s) => s?.traceId)).size).toBe(seen.length);
  });
});
