import { describe, expect, it } from 'vitest';
import { parseAlertRules } from './alert-rules';
import { decideAlerts, planBatch, type PlanSettings } from './batch-plan';
import { tickerKey, type StoredBaseline, type StoredWindow } from './sentiment-window.repository';
import type { AlertMark } from './surge';
import type { Label, Observation } from './window-aggregate';
import { parseWindowSizes } from './windows';

const M = 60_000;
const T0 = Date.UTC(2026, 2, 2, 10, 0);
const settings: PlanSettings = {
  sizes: parseWindowSizes('5m,1h'),
  latenessMs: 10 * M,
  maxFutureSkewMs: 15 * M,
  alpha: 0.2,
  rules: parseAlertRules(undefined),
};
const NOW = T0 + 24 * 60 * M;

let n = 0;
const obs = (minute: number, label: Label, ticker = 'ACME', p = 0.9): Observation => {
  n++;
  return {
    eventId: `e${n}`,
    tenantId: 'default',
    ticker,
    articleId: `a${n}`,
    headline: `${ticker} ${label} ${n}`,
    source: 'wire',
    eventTime: T0 + minute * M,
    label,
    probNegative: label === 'negative' ? p : (1 - p) / 2,
    probNeutral: label === 'neutral' ? p : (1 - p) / 2,
    probPositive: label === 'positive' ? p : (1 - p) / 2,
    modelVersion: 'sentiment@3',
  };
};

/** Ten records per 5-minute window: 3 negative, 4 neutral, 3 positive. */
function mixedWindow(startMinute: number, ticker = 'ACME'): Observation[] {
  const labels: Label[] = [
    'neutral',
    'negative',
    'positive',
    'neutral',
    'negative',
    'positive',
    'neutral',
    'negative',
    'positive',
    'neutral',
  ];
  return labels.map((l, i) => obs(startMinute + i * 0.5, l, ticker));
}

/** The tables, in memory: what the repository would load and save. */
class Store {
  constructor(private readonly config: PlanSettings = settings) {}

  watermarks = new Map<string, number | undefined>();
  windows = new Map<string, StoredWindow>();
  baselines = new Map<string, StoredBaseline>();
  late: string[] = [];

  run(observations: Observation[]) {
    const clone = <T>(x: T): T => structuredClone(x);
    const plan = planBatch(
      {
        observations,
        watermarks: this.watermarks,
        openWindows: [...this.windows.values()].filter((w) => !w.closed).map(clone),
        baselines: [...this.baselines.values()].map(clone),
        now: NOW,
      },
      this.config,
    );
    for (const w of plan.windows) this.windows.set(`${tickerKey(w)}/${w.size}/${w.start}`, w);
    for (const b of plan.baselines) this.baselines.set(`${tickerKey(b)}/${b.size}`, b);
    for (const w of plan.watermarks)
      this.watermarks.set(
        tickerKey(w),
        Math.max(w.watermark, this.watermarks.get(tickerKey(w)) ?? -Infinity),
      );
    this.late.push(...plan.late.map((l) => l.eventId));
    return plan;
  }

  window(size: string, startMinute: number, ticker = 'ACME'): StoredWindow | undefined {
    return this.windows.get(`default\u0000${ticker}/${size}/${T0 + startMinute * M}`);
  }
}

describe('planning a batch', () => {
  it('counts records into a window of each size and advances the watermark', () => {
    const store = new Store();
    const plan = store.run([obs(1, 'negative'), obs(2, 'positive'), obs(7, 'neutral')]);
    expect(plan.counted).toBe(3);
    expect(store.window('5m', 0)?.counts).toMatchObject({ negative: 1, positive: 1, volume: 2 });
    expect(store.window('5m', 5)?.counts).toMatchObject({ neutral: 1, volume: 1 });
    expect(store.window('1h', 0)?.counts.volume).toBe(3);
    expect(plan.watermarks).toEqual([{ tenantId: 'default', ticker: 'ACME', watermark: T0 + 7 * M }]);
  });

  it('keeps late and future records out of the windows, with the watermark they missed', () => {
    const store = new Store();
    store.run([obs(30, 'neutral')]);
    const future = { ...obs(0, 'negative'), eventTime: NOW + 16 * M };
    const plan = store.run([obs(19, 'negative'), obs(21, 'negative'), future]);
    expect(plan.counted).toBe(1);
    expect(plan.late.map((l) => [l.reason, l.watermark])).toEqual([
      ['future', null],
      ['late', T0 + 30 * M],
    ]);
    expect(store.window('5m', 15)).toBeUndefined();
    expect(store.window('5m', 20)?.counts.volume).toBe(1);
  });

  it('closes windows once the watermark passes end + lateness and folds them into the baseline', () => {
    const store = new Store();
    store.run([...mixedWindow(0), ...mixedWindow(5), obs(24.9, 'neutral')]);
    expect(store.window('5m', 0)?.closed).toBe(true); // end 5 + 10 ≤ 24.9
    expect(store.window('5m', 5)?.closed).toBe(true); // end 10 + 10 ≤ 24.9
    expect(store.window('5m', 20)?.closed).toBe(false);
    const baseline = store.baselines.get('default\u0000ACME/5m');
    expect(baseline?.negative.count).toBe(2);
    expect(baseline?.negative.mean).toBeGreaterThan(0.25);
    expect(baseline?.lastWindowStart).toBe(T0 + 5 * M);
    // The 1-record window closes without shaping the baseline (below the minimum volume).
    store.run([obs(40, 'neutral')]);
    expect(store.window('5m', 20)?.closed).toBe(true);
    expect(store.baselines.get('default\u0000ACME/5m')?.negative.count).toBe(2);
  });

  it('gives the same windows and baselines however the stream is cut into batches', () => {
    const stream = [
      ...mixedWindow(0),
      obs(3, 'negative'),
      ...mixedWindow(5),
      ...mixedWindow(15),
      obs(2, 'negative'), // late by then
      ...mixedWindow(30),
      ...mixedWindow(45),
      obs(38, 'positive'),
      ...mixedWindow(70),
    ];
    const whole = new Store();
    whole.run(stream);
    for (const size of [1, 7, 23]) {
      const cut = new Store();
      for (let i = 0; i < stream.length; i += size) cut.run(stream.slice(i, i + size));
      const view = (s: Store) =>
        [...s.windows.values()]
          .map((w) => ({
            k: `${w.size}/${w.start}`,
            volume: w.counts.volume,
            negative: w.counts.negative,
            closed: w.closed,
          }))
          .sort((a, b) => (a.k < b.k ? -1 : 1));
      expect(view(cut)).toEqual(view(whole));
      expect(cut.late).toEqual(whole.late);
      for (const [k, b] of whole.baselines) {
        const other = cut.baselines.get(k);
        expect(other?.negative.count).toBe(b.negative.count);
        expect(other?.negative.mean).toBeCloseTo(b.negative.mean, 12);
        expect(other?.negative.variance).toBeCloseTo(b.negative.variance, 12);
      }
    }
  });

  it('flags a negative burst against the ticker baseline and not the mixed ticker', () => {
    const store = new Store();
    const history = [0, 5, 10, 15, 20, 25].flatMap((m) => [
      ...mixedWindow(m, 'ACME'),
      ...mixedWindow(m, 'MIXD'),
    ]);
    expect(store.run(history).candidates).toEqual([]);
    const burst = Array.from({ length: 8 }, (_, i) => obs(30 + i * 0.5, 'negative', 'ACME', (80 + i) / 100));
    const plan = store.run([...burst, ...mixedWindow(30, 'MIXD')]);
    expect(plan.candidates).toHaveLength(1);
    const [c] = plan.candidates;
    expect(c?.window).toMatchObject({ ticker: 'ACME', size: '5m', start: T0 + 30 * M });
    expect(c?.evaluation).toMatchObject({ direction: 'negative', severity: 'high', share: 1 });
    expect(c?.evaluation.baseline.source).toBe('history');
    expect(store.window('5m', 30)?.negativeZ).toBe(c?.evaluation.z);
    expect(store.window('5m', 30, 'MIXD')?.negativeZ).toBeLessThan(1);

    const { alerts } = decideAlerts(plan.candidates, new Map());
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      ticker: 'ACME',
      windowSize: '5m',
      direction: 'negative',
      severity: 'high',
      volume: 8,
    });
    expect(alerts[0]?.evidence.map((e) => e.probability)).toEqual([0.87, 0.86, 0.85, 0.84, 0.83]);
  });

  it('raises one alert per surge: the strongest reading first, the rest suppressed', () => {
    const store = new Store();
    const history = [0, 5, 10, 15, 20, 25].flatMap((m) => mixedWindow(m));
    store.run(history);
    const burst = Array.from({ length: 30 }, (_, i) => obs(30 + i * 0.15, 'negative'));
    const plan = store.run(burst);
    // The 5m window (z high) and the 1h window (prior baseline, share 52/90 → z ≥ 3) both qualify.
    expect(plan.candidates.map((c) => c.window.size).sort()).toEqual(['1h', '5m']);
    const first = decideAlerts(plan.candidates, new Map());
    expect(first.alerts.map((a) => [a.windowSize, a.severity])).toEqual([['5m', 'high']]);
    expect(first.suppressed.map((c) => c.window.size)).toEqual(['1h']);

    // The next batch of the same surge, with the alert now stored: nothing new.
    const marks = new Map<string, AlertMark[]>([['default\u0000ACME', first.alerts.map((a) => ({ ...a }))]]);
    const again = store.run([obs(34.9, 'negative')]);
    expect(decideAlerts(again.candidates, marks).alerts).toEqual([]);
  });

  it('upgrades a surge whose severity rises within the cooldown', () => {
    // Wide severity bands, so the same window reads low first and medium once more records arrive.
    const wide = {
      ...settings,
      rules: parseAlertRules('{"defaults": {"thresholds": {"low": 2, "medium": 5, "high": 8}}}'),
    };
    const store = new Store(wide);
    store.run([0, 5, 10, 15, 20, 25].flatMap((m) => mixedWindow(m)));
    const early = store.run([
      ...['negative', 'negative', 'negative', 'neutral', 'positive', 'neutral'].map((l, i) =>
        obs(30 + i * 0.2, l as Label),
      ),
    ]);
    const first = decideAlerts(early.candidates, new Map());
    expect(first.alerts.map((a) => a.severity)).toEqual(['low']);
    const marks = new Map<string, AlertMark[]>([['default\u0000ACME', first.alerts.map((a) => ({ ...a }))]]);
    const later = store.run(Array.from({ length: 10 }, (_, i) => obs(32 + i * 0.2, 'negative')));
    const second = decideAlerts(later.candidates, marks);
    expect(second.alerts.map((a) => [a.severity, a.upgradeOf])).toEqual([
      ['medium', first.alerts[0]?.alertId],
    ]);
  });
});
