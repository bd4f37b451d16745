import { describe, expect, it } from 'vitest';
import { parseAlertRules, type AlertRuleBook } from './alert-rules';
import type { PlanSettings } from './batch-plan';
import { DetectorReplay } from './detector-replay';
import type { Label, Observation } from './window-aggregate';
import { MEASURED, observation } from '../test/observations';
import { parseWindowSizes } from './windows';

const M = 60_000;
const T0 = Date.UTC(2026, 2, 2, 14, 0);
const settings: PlanSettings = {
  sizes: parseWindowSizes('5m,1h'),
  latenessMs: 10 * M,
  maxFutureSkewMs: 15 * M,
  baseline: { memoryArticles: 300 },
};
const NOW = T0 + 30 * 24 * 60 * M;
const measured = MEASURED;

const obs = (
  minute: number,
  label: Label,
  ticker = 'ACME',
  p = 0.9,
  modelVersion = 'platform/sentiment@3',
): Observation => observation(T0 + minute * M, label, { ticker, p, modelVersion });

/** Ten records per 5-minute window: 2 negative, 5 neutral, 3 positive. */
const CYCLE: Label[] = [
  'neutral',
  'negative',
  'positive',
  'neutral',
  'neutral',
  'positive',
  'neutral',
  'negative',
  'positive',
  'neutral',
];
const mixedWindow = (startMinute: number, ticker = 'ACME'): Observation[] =>
  CYCLE.map((l, i) => obs(startMinute + i * 0.5, l, ticker));
/** A day of ordinary news: a mixed window every 15 minutes over six hours. */
const ordinaryDay = (fromMinute: number, ticker = 'ACME'): Observation[] =>
  Array.from({ length: 24 }, (_, i) => mixedWindow(fromMinute + i * 15, ticker)).flat();

const replay = (rules: AlertRuleBook = parseAlertRules(undefined, ['5m', '1h'])): DetectorReplay =>
  new DetectorReplay(settings, { rules: () => rules, confusion: () => measured, now: NOW });

describe('planning a batch', () => {
  it('counts records into a window of each size and advances the watermark', () => {
    const r = replay();
    const { plan } = r.run([obs(1, 'negative'), obs(2, 'positive'), obs(7, 'neutral')]);
    expect(plan.counted).toBe(3);
    expect(r.window('default', 'ACME', '5m', T0)?.counts).toMatchObject({
      negative: 1,
      positive: 1,
      volume: 2,
    });
    expect(r.window('default', 'ACME', '5m', T0 + 5 * M)?.counts).toMatchObject({ neutral: 1, volume: 1 });
    expect(r.window('default', 'ACME', '1h', T0)?.counts.volume).toBe(3);
    expect(plan.watermarks).toEqual([{ tenantId: 'default', ticker: 'ACME', watermark: T0 + 7 * M }]);
    expect(r.window('default', 'ACME', '5m', T0)?.negativeTest).toMatchObject({ source: 'default' });
  });

  it('keeps late and future records out of the windows, with the watermark they missed', () => {
    const r = replay();
    r.run([obs(30, 'neutral')]);
    const future = { ...obs(0, 'negative'), eventTime: NOW + 16 * M };
    const { plan } = r.run([obs(19, 'negative'), obs(21, 'negative'), future]);
    expect(plan.counted).toBe(1);
    expect(plan.late.map((l) => [l.reason, l.watermark])).toEqual([
      ['future', null],
      ['late', T0 + 30 * M],
    ]);
    expect(r.window('default', 'ACME', '5m', T0 + 15 * M)).toBeUndefined();
    expect(r.window('default', 'ACME', '5m', T0 + 20 * M)?.counts.volume).toBe(1);
  });

  it('closes windows once the watermark passes end + lateness and folds the smallest size into the baseline', () => {
    const r = replay();
    r.run([...mixedWindow(0), ...mixedWindow(5), obs(24.9, 'neutral')]);
    expect(r.window('default', 'ACME', '5m', T0)?.closed).toBe(true);
    expect(r.window('default', 'ACME', '5m', T0 + 5 * M)?.closed).toBe(true);
    expect(r.window('default', 'ACME', '5m', T0 + 20 * M)?.closed).toBe(false);
    expect(r.window('default', 'ACME', '1h', T0)?.closed).toBe(false);
    const baseline = r.detector('default', 'ACME')?.baseline;
    expect(baseline?.articles).toBe(20);
    expect(baseline?.versions).toEqual(['platform/sentiment@3']);
    // A window two versions scored (a rollout) is closed, but teaches the baseline nothing.
    r.run([obs(30, 'neutral'), obs(31, 'negative', 'ACME', 0.9, 'platform/sentiment@4'), obs(50, 'neutral')]);
    expect(r.window('default', 'ACME', '5m', T0 + 30 * M)?.closed).toBe(true);
    expect(r.detector('default', 'ACME')?.baseline.articles).toBe(21);
  });

  it('decides the same however the stream is cut into batches', () => {
    const stream = [
      ...ordinaryDay(0),
      obs(3, 'negative'),
      obs(2, 'negative'),
      ...ordinaryDay(0, 'MIXD'),
      ...Array.from({ length: 12 }, (_, i) => obs(400 + i * 0.4, 'negative')),
      obs(380, 'positive'),
      ...mixedWindow(470),
    ];
    const whole = replay();
    whole.run(stream);
    const view = (r: DetectorReplay) => ({
      windows: [...r.windows.values()]
        .map((w) => `${w.ticker}/${w.size}/${w.start}/${w.counts.volume}/${w.counts.negative}/${w.closed}`)
        .sort(),
      late: r.late.map((l) => l.eventId),
      detectors: [...r.detectors.entries()].sort(),
      // Alert ids may differ: within one batch the most severe reading of a surge is its alert, across
      // batches the first reading is and the stronger ones upgrade it. The surges and how severe they got
      // do not.
      surges: r.alerts
        .filter((a) => a.upgradeOf === null)
        .map((a) => `${a.ticker}/${a.direction}/${a.windowStart}`),
      severest: Math.max(...r.alerts.map((a) => ['low', 'medium', 'high'].indexOf(a.severity))),
    });
    expect(whole.alerts.length).toBe(1);
    for (const size of [1, 7, 23]) {
      const cut = replay();
      for (let i = 0; i < stream.length; i += size) cut.run(stream.slice(i, i + size));
      expect(view(cut)).toEqual(view(whole));
    }
  });

  it('lets neither a night nor a weekend distort the baseline or the activity rate', () => {
    const together = replay();
    together.run([...ordinaryDay(0), ...ordinaryDay(24 * 60)]);
    const apart = replay();
    // The same two sessions with a weekend between them instead of a night.
    apart.run([...ordinaryDay(0), ...ordinaryDay(3 * 24 * 60)]);
    const a = together.detector('default', 'ACME');
    const b = apart.detector('default', 'ACME');
    expect(b?.baseline.counts.map((c) => c.toFixed(9))).toEqual(a?.baseline.counts.map((c) => c.toFixed(9)));
    expect(b?.activity).toEqual(a?.activity);
  });

  it('flags a negative burst of one ticker, not a mixed one, and says why on the alert', () => {
    const r = replay();
    r.run([...ordinaryDay(0), ...ordinaryDay(0, 'MIXD')]);
    const burst = Array.from({ length: 10 }, (_, i) =>
      obs(400 + i * 0.5, 'negative', 'ACME', (80 + i) / 100),
    );
    const { plan, decisions } = r.run([...burst, ...mixedWindow(400, 'MIXD')]);
    expect(plan.candidates.every((c) => c.ticker === 'ACME' && c.proposal.direction === 'negative')).toBe(
      true,
    );
    expect(decisions.alerts).toHaveLength(1);
    const [alert] = decisions.alerts;
    expect(alert).toMatchObject({
      ticker: 'ACME',
      windowSize: '5m',
      windowStart: T0 + 400 * M,
      direction: 'negative',
      share: 1,
      rulesVersion: 0,
      modelVersions: ['platform/sentiment@3'],
      models: { acrossVersions: false, note: null },
      upgradeOf: null,
    });
    // One batch holds the whole burst: its strongest reading is the alert.
    const volume = alert?.volume as number;
    expect(volume).toBeGreaterThanOrEqual(4);
    expect(alert?.baseline).toMatchObject({ source: 'history', versions: ['platform/sentiment@3'] });
    expect(alert?.baseline.mean).toBeGreaterThan(0.15);
    expect(alert?.baseline.mean).toBeLessThan(0.3);
    expect(alert?.baseline.low).toBeLessThan(alert?.baseline.mean as number);
    expect(alert?.test?.evidence).toBeGreaterThanOrEqual(alert?.test?.threshold as number);
    expect(alert?.test).toMatchObject({
      since: T0 + 400 * M,
      at: T0 + (400 + (volume - 1) * 0.5) * M,
      articles: volume,
      directionArticles: volume,
    });
    expect(alert?.z).toBeGreaterThan(3);
    expect(alert?.evidence.map((e) => e.probability)).toEqual(
      burst
        .slice(0, volume)
        .map((o) => o.probNegative)
        .sort((a, b) => b - a)
        .slice(0, 5),
    );
    const mixd = r.window('default', 'MIXD', '5m', T0 + 400 * M)?.negativeTest;
    expect(mixd?.evidence).toBeLessThan(mixd?.threshold as number);
  });

  it('raises one alert per surge, and an upgrade when it grows more severe', () => {
    const r = replay();
    r.run(ordinaryDay(0));
    // The surge arrives one record per batch, as a live stream would bring it.
    const raised = [];
    for (let i = 0; i < 60; i++) raised.push(...r.run([obs(400 + i * 0.2, 'negative')]).decisions.alerts);
    expect(raised.length).toBeGreaterThanOrEqual(2);
    const [first, ...upgrades] = raised;
    expect(first?.upgradeOf).toBeNull();
    expect(first?.severity).not.toBe('high');
    expect(upgrades.every((a) => a.upgradeOf !== null)).toBe(true);
    expect(raised.at(-1)?.severity).toBe('high');
    expect(new Set(raised.map((a) => a.severity)).size).toBe(raised.length);
  });

  it('says so when the evidence was scored by a version the baseline was not learned from', () => {
    const r = replay();
    r.run(ordinaryDay(0));
    const v4 = Array.from({ length: 30 }, (_, i) =>
      obs(400 + i * 0.2, 'negative', 'ACME', 0.9, 'platform/sentiment@4'),
    );
    const [alert] = r.run(v4).decisions.alerts;
    expect(alert?.models).toMatchObject({
      acrossVersions: true,
      note: 'evidence scored by platform/sentiment@4; baseline learned from platform/sentiment@3; compared through each version’s measured confusion',
    });
  });

  it('gives a new ticker the tenant’s market prior once the market has tickers with history', () => {
    const r = replay();
    r.run(['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF'].flatMap((t) => ordinaryDay(0, t)));
    r.refreshPriors();
    const prior = r.priors.get('default');
    expect(prior?.tickers).toBe(6);
    r.run([obs(400, 'neutral', 'NEWT')]);
    expect(r.window('default', 'NEWT', '5m', T0 + 400 * M)?.negativeTest?.source).toBe('market');
  });
});
