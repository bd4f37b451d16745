// The pure core of counting a batch: given the new records (in partition order) and the locked
// state of their tickers (watermarks, open windows, surge detectors), decide what is late, what each
// window becomes, which windows close and fold into the baseline, and which surges each record
// proposes; then, given recent alerts, which proposals raise an alert. No I/O, so it is unit-tested
// and benchmarked (bench/alert-quality.ts) directly, and the service only loads, calls and saves.
//
// Records are walked one by one per ticker, in partition order: each moves the ticker's watermark,
// closes the windows the watermark has passed (folding the smallest size into the baseline), then
// goes through the surge test against that baseline and is counted. Everything depends on the
// record sequence only, so one batch holding a whole history decides exactly what a
// record-by-record stream would.
import { alertIdFor } from './alert-id';
import { severityRank, type AlertRuleBook, type AlertRules, type Direction } from './alert-rules';
import type { NewAlert } from './alert.repository';
import { foldWindow, type BaselineSettings, type MarketPrior } from './baseline';
import type { ModelConfusion } from './confusion';
import {
  tickerKey,
  type LateRow,
  type StoredWindow,
  type TickerKey,
  type WindowReading,
} from './sentiment-window.repository';
import {
  BASELINE_Z,
  cooldownDecision,
  emptyDetector,
  observeArticle,
  type AlertMark,
  type DetectorState,
  type SurgeProposal,
} from './surge';
import { classifyByWatermark } from './watermark';
import { addObservation, emptyCounts, LABELS, type Observation } from './window-aggregate';
import { assignWindows, isClosable, type WindowSize } from './windows';

/** How much a window in which the surge test fired still teaches the baseline (a lasting shift is learned, slowly). */
export const SURGE_FOLD_WEIGHT = 0.2;

export interface PlanSettings {
  sizes: readonly WindowSize[];
  latenessMs: number;
  maxFutureSkewMs: number;
  baseline: BaselineSettings;
}

export interface PlanInput {
  /** Records not seen before, in partition order. */
  observations: readonly Observation[];
  watermarks: ReadonlyMap<string, number | undefined>;
  openWindows: readonly StoredWindow[];
  /** Surge detectors by tickerKey (absent: a ticker never seen). */
  detectors: ReadonlyMap<string, DetectorState>;
  /** The tenant's market prior. */
  prior: (tenantId: string) => MarketPrior;
  /** The tenant's rules. */
  rules: (tenantId: string) => AlertRuleBook;
  /** The confusion of the version a record or window names (its label), for the tenant. */
  confusion: (modelVersion: string, tenantId: string) => ModelConfusion;
  /** Wall clock, only to refuse records from the future. */
  now: number;
}

export interface SurgeCandidate extends TickerKey {
  /** The window (of the rules' alert window size) the proposing record fell in. */
  window: { size: string; start: number; end: number };
  proposal: SurgeProposal;
  rules: AlertRules;
  rulesVersion: number;
}

export interface BatchPlan {
  counted: number;
  late: LateRow[];
  watermarks: (TickerKey & { watermark: number })[];
  /** Windows to write: new, updated or closed. */
  windows: StoredWindow[];
  closed: StoredWindow[];
  detectors: (TickerKey & { state: DetectorState })[];
  candidates: SurgeCandidate[];
}

const windowKey = (w: { size: string; start: number }): string => `${w.size}\u0000${w.start}`;

const lateRow = (o: Observation, reason: LateRow['reason'], watermark: number | null): LateRow => ({
  eventId: o.eventId,
  tenantId: o.tenantId,
  ticker: o.ticker,
  articleId: o.articleId,
  reason,
  publishedAt: o.eventTime,
  watermark,
  label: o.label,
  probNegative: o.probNegative,
  probNeutral: o.probNeutral,
  probPositive: o.probPositive,
  modelVersion: o.modelVersion,
  headline: o.headline,
});

const newWindow = (ticker: TickerKey, range: { size: string; start: number; end: number }): StoredWindow => ({
  ...ticker,
  ...range,
  counts: emptyCounts(),
  negativeTest: null,
  positiveTest: null,
  closed: false,
});

/**
 * Keeps, per direction, the evidence a window saw furthest past (or nearest to) the threshold it
 * was judged against, with that threshold, and the latest band.
 */
function record(w: StoredWindow, direction: Direction, reading: WindowReading): void {
  const field = direction === 'negative' ? 'negativeTest' : 'positiveTest';
  const held = w[field];
  w[field] =
    held !== null && held.evidence - held.threshold > reading.evidence - reading.threshold
      ? { ...reading, evidence: held.evidence, threshold: held.threshold }
      : reading;
}

/** The window's evidence reached the low threshold it was judged against, in either direction. */
const fired = (w: StoredWindow): boolean =>
  [w.negativeTest, w.positiveTest].some((t) => t !== null && t.evidence >= t.threshold);

/** Counts, closes and tests one ticker's records; pushes what changed into `out`. */
function planTicker(
  ticker: TickerKey,
  observations: readonly Observation[],
  input: PlanInput,
  settings: PlanSettings,
  out: BatchPlan,
): void {
  const key = tickerKey(ticker);
  const rules = input.rules(ticker.tenantId);
  const tickerRules = rules.for(ticker.ticker);
  const prior = input.prior(ticker.tenantId);
  const confusionOf = (version: string): ModelConfusion => input.confusion(version, ticker.tenantId);
  const baselineSize = (settings.sizes[0] as WindowSize).label;
  const open = new Map(
    input.openWindows.filter((w) => tickerKey(w) === key).map((w) => [windowKey(w), w] as const),
  );
  const changed = new Map<string, StoredWindow>();
  let detector = input.detectors.get(key) ?? emptyDetector();
  let detectorChanged = false;

  const present: Observation[] = [];
  for (const o of observations) {
    if (o.eventTime > input.now + settings.maxFutureSkewMs) out.late.push(lateRow(o, 'future', null));
    else present.push(o);
  }
  const start = input.watermarks.get(key);
  const classified = classifyByWatermark(present, (o) => o.eventTime, start, settings.latenessMs);
  for (const l of classified.late) out.late.push(lateRow(l.item, 'late', l.watermark));
  if (classified.watermark !== undefined) out.watermarks.push({ ...ticker, watermark: classified.watermark });

  const close = (watermark: number | undefined): void => {
    const due = [...open.values()]
      .filter((w) => isClosable(w.end, watermark, settings.latenessMs))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    for (const w of due) {
      open.delete(windowKey(w));
      w.closed = true;
      changed.set(windowKey(w), w);
      out.closed.push(w);
      // One size is enough: every size counts the same records. A window scored by several
      // versions cannot be translated into true labels unambiguously, so it teaches nothing.
      if (w.size !== baselineSize || w.counts.modelVersions.length > 1 || w.counts.volume === 0) continue;
      detector = {
        ...detector,
        baseline: foldWindow(
          detector.baseline,
          { counts: LABELS.map((l) => w.counts[l]), version: w.counts.modelVersions[0] ?? '' },
          (version) => confusionOf(version).matrix,
          settings.baseline,
          fired(w) ? SURGE_FOLD_WEIGHT : 1,
        ),
      };
      detectorChanged = true;
    }
  };

  let watermark = start;
  close(watermark);
  for (const o of classified.onTime) {
    watermark = watermark === undefined ? o.eventTime : Math.max(watermark, o.eventTime);
    close(watermark);
    const outcome = observeArticle(detector, o, { rules: tickerRules, prior, confusion: confusionOf });
    detector = outcome.state;
    detectorChanged = true;
    out.counted++;
    for (const range of assignWindows(o.eventTime, settings.sizes)) {
      const wKey = windowKey(range);
      let w = open.get(wKey);
      if (!w) {
        w = newWindow(ticker, range);
        open.set(wKey, w);
      }
      addObservation(w.counts, o);
      for (const r of outcome.readings) {
        record(w, r.direction, {
          evidence: r.evidence,
          threshold: r.thresholds.low,
          expected: r.band.expected,
          low: r.band.low,
          high: r.band.high,
          source: r.band.source,
        });
      }
      changed.set(wKey, w);
    }
    for (const proposal of outcome.proposals) {
      const range = assignWindows(o.eventTime, settings.sizes).find((r) => r.size === tickerRules.window);
      // The rules' window is one of the configured sizes (validated), so the record fell in one.
      if (!range) continue;
      out.candidates.push({
        ...ticker,
        window: range,
        proposal,
        rules: tickerRules,
        rulesVersion: rules.version,
      });
    }
  }
  out.windows.push(...changed.values());
  if (detectorChanged) out.detectors.push({ ...ticker, state: detector });
}

export function planBatch(input: PlanInput, settings: PlanSettings): BatchPlan {
  const byTicker = new Map<string, Observation[]>();
  for (const o of input.observations) {
    const key = tickerKey(o);
    const list = byTicker.get(key) ?? [];
    list.push(o);
    byTicker.set(key, list);
  }
  const out: BatchPlan = {
    counted: 0,
    late: [],
    watermarks: [],
    windows: [],
    closed: [],
    detectors: [],
    candidates: [],
  };
  for (const observations of byTicker.values()) {
    const first = observations[0] as Observation;
    planTicker({ tenantId: first.tenantId, ticker: first.ticker }, observations, input, settings, out);
  }
  return out;
}

export interface AlertDecisions {
  alerts: NewAlert[];
  suppressed: SurgeCandidate[];
}

/** The earliest window end whose alerts the cooldown may need to see for these candidates. */
export const cooldownHorizon = (candidates: readonly SurgeCandidate[]): number =>
  Math.min(...candidates.map((c) => c.window.start - c.rules.cooldownMs));

const note = (c: SurgeCandidate): string | null => {
  const p = c.proposal;
  if (!p.acrossVersions) return null;
  const baseline = p.band.versions.length > 0 ? p.band.versions.join(', ') : 'no version of its own';
  const unmeasured = p.models.filter((m) => m.confusion === 'default').map((m) => m.version);
  return (
    `evidence scored by ${p.models.map((m) => m.version).join(', ')}; baseline learned from ${baseline}; ` +
    (unmeasured.length === 0
      ? 'compared through each version’s measured confusion'
      : `compared through the default confusion for ${unmeasured.join(', ')} (not measured): approximate`)
  );
};

/**
 * Applies the cooldown to the candidates. The most severe go first, so when one batch carries a
 * surge in both directions' or several severities' crossings, the strongest reading is the alert.
 */
export function decideAlerts(
  candidates: readonly SurgeCandidate[],
  recent: ReadonlyMap<string, readonly AlertMark[]>,
): AlertDecisions {
  const marks = new Map([...recent].map(([k, v]) => [k, [...v]]));
  const ordered = [...candidates].sort(
    (a, b) =>
      severityRank(b.proposal.severity) - severityRank(a.proposal.severity) ||
      a.window.start - b.window.start ||
      a.proposal.at - b.proposal.at,
  );
  const alerts: NewAlert[] = [];
  const suppressed: SurgeCandidate[] = [];
  for (const c of ordered) {
    const { window: w, proposal: p } = c;
    const key = tickerKey(c);
    const known = marks.get(key) ?? [];
    const decision = cooldownDecision(
      { direction: p.direction, severity: p.severity, windowStart: w.start, windowEnd: w.end },
      known,
      c.rules.cooldownMs,
    );
    if (decision.action === 'suppress') {
      suppressed.push(c);
      continue;
    }
    const alertId = alertIdFor({
      tenantId: c.tenantId,
      ticker: c.ticker,
      windowSize: w.size,
      windowStart: w.start,
      direction: p.direction,
      severity: p.severity,
    });
    alerts.push({
      alertId,
      tenantId: c.tenantId,
      ticker: c.ticker,
      windowSize: w.size,
      windowStart: w.start,
      windowEnd: w.end,
      direction: p.direction,
      severity: p.severity,
      share: p.share,
      baseline: {
        mean: p.band.expected,
        std: (p.band.high - p.band.low) / 2 / BASELINE_Z,
        low: p.band.low,
        high: p.band.high,
        source: p.band.source,
        articles: p.band.articles,
        versions: p.band.versions,
      },
      z: p.z,
      volume: p.articles,
      test: {
        evidence: p.evidence,
        threshold: p.threshold,
        thresholds: p.thresholds,
        since: p.since,
        at: p.at,
        articles: p.articles,
        directionArticles: p.directionArticles,
        surgeShare: p.surgeShare,
        horizonMs: c.rules.horizonMs,
      },
      modelVersions: p.models.map((m) => m.version),
      models: { acrossVersions: p.acrossVersions, note: note(c), confusion: p.models },
      rulesVersion: c.rulesVersion,
      evidence: p.top,
      upgradeOf: decision.action === 'upgrade' ? decision.of : null,
    });
    marks.set(key, [
      ...known,
      { alertId, direction: p.direction, severity: p.severity, windowStart: w.start, windowEnd: w.end },
    ]);
  }
  return { alerts, suppressed };
}
