// The pure core of counting a batch: given the new records (in partition order) and the locked
// state of their tickers (watermarks, open windows, baselines), decide what is late, what each
// window becomes, which windows close and fold into the baseline, and which windows qualify as
// surges; then, given recent alerts, which surges raise an alert. No I/O, so it is unit-tested
// directly and the service only loads, calls and saves.
//
// Surges are evaluated on every update of a window (alerts come as soon as a window qualifies,
// not when it closes) and once more when it closes (against the then complete baseline). Per
// ticker and size, windows are walked oldest first: a window is evaluated against the baseline of
// the windows closed before it, then folded in if it closes — so one batch holding a whole history
// gives the same baselines as a record-by-record stream.
import { alertIdFor } from './alert-id';
import { DIRECTIONS, severityRank, type AlertRuleBook, type AlertRules, type Direction } from './alert-rules';
import type { NewAlert } from './alert.repository';
import { ewmaFromPrior, ewmaUpdate } from './ewma';
import {
  tickerKey,
  type LateRow,
  type StoredBaseline,
  type StoredWindow,
  type TickerKey,
} from './sentiment-window.repository';
import {
  baselineOf,
  cooldownDecision,
  evaluateWindow,
  type AlertMark,
  type Baseline,
  type DirectionEvaluation,
} from './surge';
import { classifyByWatermark } from './watermark';
import { addObservation, emptyCounts, evidenceFor, shareOf, type Observation } from './window-aggregate';
import { assignWindows, isClosable, type WindowSize } from './windows';

export interface PlanSettings {
  sizes: readonly WindowSize[];
  latenessMs: number;
  maxFutureSkewMs: number;
  alpha: number;
  rules: AlertRuleBook;
}

export interface PlanInput {
  /** Records not seen before, in partition order. */
  observations: readonly Observation[];
  watermarks: ReadonlyMap<string, number | undefined>;
  openWindows: readonly StoredWindow[];
  baselines: readonly StoredBaseline[];
  /** Wall clock, only to refuse records from the future. */
  now: number;
}

export interface SurgeCandidate {
  window: StoredWindow;
  evaluation: DirectionEvaluation & { severity: NonNullable<DirectionEvaluation['severity']> };
  rules: AlertRules;
}

export interface BatchPlan {
  counted: number;
  late: LateRow[];
  watermarks: (TickerKey & { watermark: number })[];
  /** Windows to write: new, updated or closed. */
  windows: StoredWindow[];
  closed: StoredWindow[];
  baselines: StoredBaseline[];
  candidates: SurgeCandidate[];
}

const windowKey = (w: TickerKey & { size: string; start: number }): string =>
  `${tickerKey(w)}\u0000${w.size}\u0000${w.start}`;
const seriesKey = (k: TickerKey, size: string): string => `${tickerKey(k)}\u0000${size}`;

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

export function planBatch(input: PlanInput, settings: PlanSettings): BatchPlan {
  const byTicker = new Map<string, Observation[]>();
  for (const o of input.observations) {
    const key = tickerKey(o);
    const list = byTicker.get(key) ?? [];
    list.push(o);
    byTicker.set(key, list);
  }

  const windows = new Map(input.openWindows.map((w) => [windowKey(w), w]));
  const touched = new Set<string>();
  const late: LateRow[] = [];
  const watermarks: (TickerKey & { watermark: number })[] = [];
  let counted = 0;

  for (const [key, observations] of byTicker) {
    const first = observations[0] as Observation;
    const ticker: TickerKey = { tenantId: first.tenantId, ticker: first.ticker };
    const present: Observation[] = [];
    for (const o of observations) {
      if (o.eventTime > input.now + settings.maxFutureSkewMs) late.push(lateRow(o, 'future', null));
      else present.push(o);
    }
    const result = classifyByWatermark(
      present,
      (o) => o.eventTime,
      input.watermarks.get(key),
      settings.latenessMs,
    );
    for (const l of result.late) late.push(lateRow(l.item, 'late', l.watermark));
    if (result.watermark !== undefined) watermarks.push({ ...ticker, watermark: result.watermark });
    for (const o of result.onTime) {
      counted++;
      for (const range of assignWindows(o.eventTime, settings.sizes)) {
        const wKey = windowKey({ ...ticker, size: range.size, start: range.start });
        let w = windows.get(wKey);
        if (!w) {
          w = {
            ...ticker,
            size: range.size,
            start: range.start,
            end: range.end,
            counts: emptyCounts(),
            negativeZ: null,
            positiveZ: null,
            baseline: null,
            closed: false,
          };
          windows.set(wKey, w);
        }
        addObservation(w.counts, o);
        touched.add(wKey);
      }
    }
  }

  const newWatermark = new Map(watermarks.map((w) => [tickerKey(w), w.watermark]));
  const baselines = new Map(input.baselines.map((b) => [seriesKey(b, b.size), b]));
  const series = new Map<string, StoredWindow[]>();
  for (const [wKey, w] of windows) {
    const closable = isClosable(w.end, newWatermark.get(tickerKey(w)), settings.latenessMs);
    if (!touched.has(wKey) && !closable) continue;
    const sKey = seriesKey(w, w.size);
    series.set(sKey, [...(series.get(sKey) ?? []), w]);
  }

  const changed: StoredWindow[] = [];
  const closed: StoredWindow[] = [];
  const changedBaselines: StoredBaseline[] = [];
  const candidates: SurgeCandidate[] = [];
  for (const [sKey, list] of series) {
    const head = list[0] as StoredWindow;
    const rules = settings.rules.for(head.ticker);
    let baseline = baselines.get(sKey);
    let baselineChanged = false;
    for (const w of list.sort((a, b) => a.start - b.start)) {
      const state = baseline ?? {
        tenantId: w.tenantId,
        ticker: w.ticker,
        size: w.size,
        negative: ewmaFromPrior(rules.prior),
        positive: ewmaFromPrior(rules.prior),
        lastWindowStart: null,
      };
      const reference: Record<Direction, Baseline> = {
        negative: baselineOf(state.negative, rules),
        positive: baselineOf(state.positive, rules),
      };
      const evaluation = evaluateWindow(w.counts, reference, rules);
      w.negativeZ = evaluation.negative.z;
      w.positiveZ = evaluation.positive.z;
      w.baseline = reference;
      for (const d of DIRECTIONS) {
        const e = evaluation[d];
        if (e.severity !== null)
          candidates.push({ window: w, evaluation: { ...e, severity: e.severity }, rules });
      }
      if (isClosable(w.end, newWatermark.get(tickerKey(w)), settings.latenessMs)) {
        w.closed = true;
        closed.push(w);
        // Only windows that could alert shape the baseline: a 1-record window's 0% or 100% says
        // little about the share a qualifying window normally has.
        if (w.counts.volume >= rules.minVolume) {
          baseline = {
            ...state,
            negative: ewmaUpdate(state.negative, shareOf(w.counts, 'negative'), settings.alpha),
            positive: ewmaUpdate(state.positive, shareOf(w.counts, 'positive'), settings.alpha),
            lastWindowStart: w.start,
          };
          baselineChanged = true;
        }
      }
      changed.push(w);
    }
    if (baseline && baselineChanged) changedBaselines.push(baseline);
  }

  return { counted, late, watermarks, windows: changed, closed, baselines: changedBaselines, candidates };
}

export interface AlertDecisions {
  alerts: NewAlert[];
  suppressed: SurgeCandidate[];
}

/** The earliest window end whose alerts the cooldown may need to see for these candidates. */
export const cooldownHorizon = (candidates: readonly SurgeCandidate[]): number =>
  Math.min(...candidates.map((c) => c.window.start - c.rules.cooldownMs));

/**
 * Applies the cooldown to the surge candidates. The most severe candidates go first, so when one
 * batch carries a surge in several windows (or window sizes) the strongest reading is the alert.
 */
export function decideAlerts(
  candidates: readonly SurgeCandidate[],
  recent: ReadonlyMap<string, readonly AlertMark[]>,
): AlertDecisions {
  const marks = new Map([...recent].map(([k, v]) => [k, [...v]]));
  const ordered = [...candidates].sort(
    (a, b) =>
      severityRank(b.evaluation.severity) - severityRank(a.evaluation.severity) ||
      a.window.start - b.window.start ||
      a.window.end - b.window.end,
  );
  const alerts: NewAlert[] = [];
  const suppressed: SurgeCandidate[] = [];
  for (const c of ordered) {
    const { window: w, evaluation: e } = c;
    const key = tickerKey(w);
    const known = marks.get(key) ?? [];
    const decision = cooldownDecision(
      { direction: e.direction, severity: e.severity, windowStart: w.start, windowEnd: w.end },
      known,
      c.rules.cooldownMs,
    );
    if (decision.action === 'suppress') {
      suppressed.push(c);
      continue;
    }
    const alertId = alertIdFor({
      tenantId: w.tenantId,
      ticker: w.ticker,
      windowSize: w.size,
      windowStart: w.start,
      direction: e.direction,
      severity: e.severity,
    });
    alerts.push({
      alertId,
      tenantId: w.tenantId,
      ticker: w.ticker,
      windowSize: w.size,
      windowStart: w.start,
      windowEnd: w.end,
      direction: e.direction,
      severity: e.severity,
      share: e.share,
      baselineMean: e.baseline.mean,
      baselineStd: e.baseline.std,
      baselineSource: e.baseline.source,
      z: e.z,
      volume: w.counts.volume,
      modelVersions: w.counts.modelVersions,
      evidence: evidenceFor(w.counts, e.direction),
      upgradeOf: decision.action === 'upgrade' ? decision.of : null,
    });
    marks.set(key, [
      ...known,
      { alertId, direction: e.direction, severity: e.severity, windowStart: w.start, windowEnd: w.end },
    ]);
  }
  return { alerts, suppressed };
}
