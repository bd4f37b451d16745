// The surge test: a sequential likelihood-ratio test (CUSUM) per ticker and direction over the
// stream of scored articles, with evidence that fades with event time.
//
// For each article, the evidence it adds is log P(article | surge) / P(article | baseline):
// - under the baseline, true labels follow the ticker's learned mix, taken at the upper end of its
//   band (z = 0.84) for the direction, so a ticker with little history needs more evidence;
// - under a surge, a share `surgeShare` of the articles is truly in the direction — and a second
//   test, beside it, is tuned to a partial surge (`partialShare`), whose other reports would break
//   the first's runs; it needs 1 nat more, and what either proposed counts for both;
// - either way the scoring version's measured confusion says which labels such news gets, and the
//   article's confidence is read through the version's measured calibration (a sure label in the
//   direction says more than a hesitant one, by as much as the version's right and wrong answers
//   differ in confidence); a version without calibration weighs the label likelihoods by the
//   article's probabilities instead (never more than the confusion allows).
// The evidence is summed, never below 0, and decays by e per `horizon` of event time, so only news
// arriving together builds up. A severity is reached when the evidence passes its threshold — the
// rule's evidence plus 2·ln(articles the ticker is looked at per horizon: its quiet-time rate, or
// during a burst 1.5 × its recent articles not in the direction beyond those a surge of the test's
// share brings with its articles in the direction): a busy ticker, or one in a burst of
// mixed news, offers chance runs more starts, so it needs more — and the evidence rests on at least
// minVolume articles with at least minShare of them in the direction. Severity therefore comes from
// the evidence, never from a share alone. Pure: the state goes in and comes out; batch-plan.ts walks
// records through it.
import {
  DIRECTIONS,
  SEVERITIES,
  severityFor,
  severityRank,
  type AlertRules,
  type Direction,
  type Severity,
} from './alert-rules';
import {
  baselineSource,
  countsFor,
  emptyBaseline,
  effectiveArticles,
  LABEL_INDEX,
  posterior,
  shareBand,
  type BaselineSource,
  type MarketPrior,
  type TickerBaseline,
} from './baseline';
import { calibrationBin } from '@mercato/contracts';
import type { Calibration, ConfusionMatrix, ModelConfusion } from './confusion';
import { mergeEvidence, type Evidence, type Observation } from './window-aggregate';

/** One-sided band of the baseline's share under which the test takes the baseline (80 %). */
export const BASELINE_Z = 0.84;
/** Weight of ln(articles per horizon) in the thresholds. */
const MULTIPLICITY = 2;
/**
 * Articles a burst is taken to bring per recent article not in the direction. A mixed burst (many
 * articles, the usual mix) offers a chance run of labels in the direction as many starts as it has
 * articles; under a surge the articles not in the direction stay at the ticker's usual trickle, so
 * counting only those never raises a real surge's threshold by the surge's own volume.
 */
const BURST_LOOKS = 1.5;
/**
 * Evidence the partial test needs beyond the pure one's: it is a second look at the same news, and
 * with 1 nat more the pure surges' figures stay what they were without it (bench/alert-quality.ts).
 */
const PARTIAL_EXTRA = 1;
/** Evidence below this is gone: the next article starts a new run. */
const FADED = 0.01;
/** While evidence of either direction is above this, the activity rate is not updated. */
const QUIET = 1;
const MAX_RUN_VERSIONS = 10;

export interface RunState {
  /** The evidence (nats) of a surge in the direction, as of `at`. */
  evidence: number;
  /** Event time of the run's first article; null when there is no run. */
  since: number | null;
  articles: number;
  /** Articles of the run labelled in the direction. */
  directionArticles: number;
  /** The most severe level this run has proposed: each level is proposed at most once per run. */
  proposed: Severity | null;
  /** Model versions that scored the run's articles, with the confusion each was read through. */
  models: RunModel[];
  /** The run's most confident headlines of the direction. */
  top: Evidence[];
}

export interface RunModel {
  /** The version's label (`owner/name@version`). */
  version: string;
  /** Whether its measured confusion or the default was used, and why the default. */
  confusion: ModelConfusion['source'];
  /** Its measured calibration weighed each label by the article's confidence. */
  calibrated?: true;
  reason?: string;
}

export interface DetectorState {
  baseline: TickerBaseline;
  /** Minutes of activity (inter-arrival gaps capped at the horizon) and the gaps counted in them. */
  activity: { minutes: number; gaps: number };
  /** The largest event time seen (evidence decays from it). */
  at: number | null;
  /** Recent articles not labelled in each direction, decayed like the evidence (absent in older states). */
  others?: Record<Direction, number>;
  /** Recent articles, decayed like the evidence (absent in older states). */
  recent?: number;
  runs: Record<Direction, RunState>;
  /** Runs of the test tuned to the rules' partialShare (absent in older states). */
  partial?: Record<Direction, RunState>;
}

const emptyRun = (): RunState => ({
  evidence: 0,
  since: null,
  articles: 0,
  directionArticles: 0,
  proposed: null,
  models: [],
  top: [],
});

export const emptyDetector = (): DetectorState => ({
  baseline: emptyBaseline(),
  activity: { minutes: 0, gaps: 0 },
  at: null,
  runs: { negative: emptyRun(), positive: emptyRun() },
});

/** The baseline as one version should see it: the share of labels in the direction, and its band. */
export interface BaselineBand {
  /** Expected share of the version's labels in the direction, and its band (observed-label space). */
  expected: number;
  low: number;
  high: number;
  source: BaselineSource;
  /** Effective articles behind the ticker's own part of the baseline. */
  articles: number;
  /** Versions of the windows the ticker's baseline was learned from. */
  versions: string[];
}

/** The confusion of each version, by its label. */
export type ConfusionOf = (version: string) => ModelConfusion;

function bandOf(
  baseline: TickerBaseline,
  prior: MarketPrior,
  version: string,
  confusionOf: ConfusionOf,
  direction: Direction,
): BaselineBand & { highMix: number[] } {
  const matrixOf = (v: string) => confusionOf(v).matrix;
  const alpha = posterior(countsFor(baseline, version, matrixOf), prior, matrixOf(version));
  const band = shareBand(alpha, LABEL_INDEX[direction], BASELINE_Z);
  return {
    expected: band.share,
    low: band.low,
    high: band.high,
    highMix: band.highMix,
    source: baselineSource(baseline, prior),
    articles: effectiveArticles(baseline),
    versions: baseline.versions,
  };
}

/** Articles the ticker usually gets within one horizon, from its quiet-time activity (a new ticker: 1). */
function articlesPerHorizon(state: DetectorState, horizonMs: number): number {
  const horizonMinutes = horizonMs / 60_000;
  return ((state.activity.gaps + 1) / (state.activity.minutes + horizonMinutes)) * horizonMinutes;
}

/**
 * The evidence each severity needs on this ticker now, for the test tuned to `share`: the ticker is
 * looked at as often as it gets articles — usually its quiet-time rate, but during a burst of news
 * as often as the burst brings them, counted by the recent articles not in the direction (decayed by
 * the horizon) beyond those a surge of that share brings with its `inDirection` articles. The
 * partial test (share below the rules' surgeShare) needs PARTIAL_EXTRA more.
 */
export function thresholdsFor(
  state: DetectorState,
  rules: AlertRules,
  recent: { others: number; inDirection: number } = { others: 0, inDirection: 0 },
  share = rules.surgeShare,
): Record<Severity, number> {
  const burst = Math.max(0, recent.others - (recent.inDirection * (1 - share)) / share);
  const looks = Math.max(1, articlesPerHorizon(state, rules.horizonMs), BURST_LOOKS * burst);
  const extra = MULTIPLICITY * Math.log(looks) + (share < rules.surgeShare ? PARTIAL_EXTRA : 0);
  return {
    low: rules.evidence.low + extra,
    medium: rules.evidence.medium + extra,
    high: rules.evidence.high + extra,
  };
}

/** The article's probabilities as a distribution over labels; its label alone when it has none. */
function labelWeights(o: Observation): number[] {
  const p = [o.probNegative, o.probNeutral, o.probPositive];
  const sum = p.reduce((a, b) => a + b, 0);
  if (sum > 0) return p.map((x) => x / sum);
  return [0, 0, 0].map((_, i) => (i === LABEL_INDEX[o.label] ? 1 : 0));
}

/** log P(article | surge) / P(article | baseline) for one direction. */
export function articleEvidence(
  o: Observation,
  direction: Direction,
  baseline: TickerBaseline,
  prior: MarketPrior,
  confusionOf: ConfusionOf,
  surgeShare: number,
): number {
  return evidenceOf(
    o,
    direction,
    bandOf(baseline, prior, o.modelVersion, confusionOf, direction),
    confusionOf,
    surgeShare,
  );
}

function evidenceOf(
  o: Observation,
  direction: Direction,
  band: { highMix: number[] },
  confusionOf: ConfusionOf,
  surgeShare: number,
): number {
  const d = LABEL_INDEX[direction];
  const { matrix: confusion, calibration } = confusionOf(o.modelVersion);
  // A label a version never gives would make a ratio of zeros: every likelihood is kept above 1e-6.
  const calm = band.highMix.map((q) => Math.max(q, 1e-6));
  const w = labelWeights(o);
  const confidence = Math.max(...w);
  if (calibration && (o.probNegative > 0 || o.probNeutral > 0 || o.probPositive > 0)) {
    return calibratedEvidence(w.indexOf(confidence), confidence, d, calm, confusion, calibration, surgeShare);
  }
  const surge = calm.map((q, l) =>
    Math.max(1e-6, surgeShare * ((confusion[d] as number[])[l] as number) + (1 - surgeShare) * q),
  );
  const num = w.reduce((sum, p, l) => sum + p * (surge[l] as number), 0);
  const den = w.reduce((sum, p, l) => sum + p * (calm[l] as number), 0);
  return Math.log(num / den);
}

/**
 * The evidence of an article labelled `l` with top probability `confidence`, read through the
 * version's measured calibration. Under the baseline, the label comes with the confidence the
 * version shows on such labels overall (right and wrong mixed as on its held-out set); under a
 * surge, the surge's share of articles is truly in the direction, so a label in the direction is
 * right (it comes with the confidence of right answers) and any other label is wrong. A confident
 * label in the direction is therefore stronger evidence than a hesitant one, by as much as the
 * version's right and wrong answers differ in confidence — and no more.
 */
function calibratedEvidence(
  l: number,
  confidence: number,
  d: number,
  calm: readonly number[],
  confusion: ConfusionMatrix,
  calibration: Calibration,
  surgeShare: number,
): number {
  const bin = calibrationBin(confidence);
  const right = calibration.right[l] as readonly number[];
  const wrong = calibration.wrong[l] as readonly number[];
  const precision = right.reduce((a, b) => a + b, 0);
  const inBin = (right[bin] as number) + (wrong[bin] as number);
  const base = (calm[l] as number) * inBin;
  const asSurge =
    ((confusion[d] as number[])[l] as number) *
    (l === d ? (right[bin] as number) / precision : (wrong[bin] as number) / (1 - precision));
  return Math.log(Math.max(1e-6, surgeShare * asSurge + (1 - surgeShare) * base) / Math.max(1e-6, base));
}

/** What the evidence of one direction looked like after an article (windows keep the strongest). */
export interface DirectionReading {
  direction: Direction;
  evidence: number;
  thresholds: Record<Severity, number>;
  band: BaselineBand;
}

/** A direction whose evidence reached a severity it had not reached in this run. */
export interface SurgeProposal {
  direction: Direction;
  severity: Severity;
  /** The article whose evidence reached it (its event time places the alert's window). */
  at: number;
  evidence: number;
  threshold: number;
  thresholds: Record<Severity, number>;
  /** The share of the direction the test that reached it is tuned to (surgeShare or partialShare). */
  surgeShare: number;
  since: number;
  articles: number;
  directionArticles: number;
  share: number;
  band: BaselineBand;
  /** (directionArticles − articles·expected) / √(articles·expected·(1 − expected)): how far the share is, in counts. */
  z: number;
  models: RunModel[];
  /** The run was scored by versions the baseline was not learned from (or by several). */
  acrossVersions: boolean;
  top: Evidence[];
}

export interface ArticleOutcome {
  state: DetectorState;
  readings: DirectionReading[];
  proposals: SurgeProposal[];
}

function addModel(models: readonly RunModel[], o: Observation, confusion: ModelConfusion): RunModel[] {
  if (models.some((m) => m.version === o.modelVersion) || models.length >= MAX_RUN_VERSIONS)
    return [...models];
  const model: RunModel = { version: o.modelVersion, confusion: confusion.source };
  if (confusion.calibration) model.calibrated = true;
  if (confusion.reason !== undefined) model.reason = confusion.reason;
  return [...models, model];
}

const acrossVersions = (models: readonly RunModel[], baseline: TickerBaseline): boolean =>
  models.length > 1 ||
  (baseline.versions.length > 0 && models.some((m) => !baseline.versions.includes(m.version)));

function gated(run: RunState, rules: AlertRules): boolean {
  return run.articles >= rules.minVolume && run.directionArticles / run.articles >= rules.minShare;
}

/** A run after one more article whose evidence for the direction brought it to `evidence`. */
function extendRun(
  before: RunState,
  fresh: boolean,
  evidence: number,
  o: Observation,
  direction: Direction,
  confusion: ModelConfusion,
): RunState {
  if (evidence === 0) return emptyRun();
  const base = fresh ? emptyRun() : before;
  const inDirection = o.label === direction;
  return {
    evidence,
    since: base.since ?? o.eventTime,
    articles: base.articles + 1,
    directionArticles: base.directionArticles + (inDirection ? 1 : 0),
    proposed: base.proposed,
    models: addModel(base.models, o, confusion),
    top: inDirection
      ? mergeEvidence(base.top, [
          {
            articleId: o.articleId,
            headline: o.headline,
            source: o.source,
            probability: direction === 'negative' ? o.probNegative : o.probPositive,
            publishedAt: new Date(o.eventTime).toISOString(),
          },
        ])
      : base.top,
  };
}

const noRuns = (): Record<Direction, RunState> => ({ negative: emptyRun(), positive: emptyRun() });

/**
 * Takes one on-time article: decays the evidence to its event time, adds what the article says
 * for each direction to both tests (the pure one at the rules' surgeShare, the partial one at
 * partialShare), and proposes the severities newly reached (directions the rules leave out are
 * measured but never proposed). A direction's reading is its test nearest to (or furthest past) its
 * low threshold.
 */
export function observeArticle(
  state: DetectorState,
  o: Observation,
  context: { rules: AlertRules; prior: MarketPrior; confusion: ConfusionOf },
): ArticleOutcome {
  const { rules, prior, confusion: confusionOf } = context;
  const confusion = confusionOf(o.modelVersion);
  const gap = state.at === null ? null : Math.max(0, o.eventTime - state.at);
  const decay = gap === null ? 0 : Math.exp(-gap / rules.horizonMs);
  // Each test's runs before this article, and (filled per direction below) after it.
  const pure = { share: rules.surgeShare, runs: state.runs, next: noRuns() };
  const partial =
    rules.partialShare < rules.surgeShare
      ? { share: rules.partialShare, runs: state.partial ?? noRuns(), next: noRuns() }
      : undefined;
  const tests = partial ? [pure, partial] : [pure];
  const quiet = tests.every((t) => DIRECTIONS.every((d) => t.runs[d].evidence * decay < QUIET));
  const activity =
    gap !== null && quiet
      ? {
          minutes: state.activity.minutes + Math.min(gap, rules.horizonMs) / 60_000,
          gaps: state.activity.gaps + 1,
        }
      : state.activity;
  const others = {
    negative: (state.others?.negative ?? 0) * decay + (o.label === 'negative' ? 0 : 1),
    positive: (state.others?.positive ?? 0) * decay + (o.label === 'positive' ? 0 : 1),
  };
  const recent = (state.recent ?? 0) * decay + 1;
  const next: DetectorState = {
    baseline: state.baseline,
    activity,
    at: state.at === null ? o.eventTime : Math.max(state.at, o.eventTime),
    others,
    recent,
    runs: pure.next,
    ...(partial ? { partial: partial.next } : {}),
  };
  const readings: DirectionReading[] = [];
  const proposals: SurgeProposal[] = [];
  for (const direction of DIRECTIONS) {
    const { highMix, ...band } = bandOf(state.baseline, prior, o.modelVersion, confusionOf, direction);
    const around = { others: others[direction], inDirection: recent - others[direction] };
    const stepped = tests.map((test) => {
      const thresholds = thresholdsFor(next, rules, around, test.share);
      const before = test.runs[direction];
      const carried = before.evidence * decay;
      const fresh = carried < FADED;
      const evidence = Math.max(
        0,
        (fresh ? 0 : carried) + evidenceOf(o, direction, { highMix }, confusionOf, test.share),
      );
      return { test, thresholds, evidence, run: extendRun(before, fresh, evidence, o, direction, confusion) };
    });
    // Each severity at most once while either test's run lasts: the two look at the same news, so
    // what one proposed counts as proposed by the other's run too.
    let reached = Math.max(...stepped.map((x) => severityRank(x.run.proposed)));
    const nearest = stepped.reduce((a, b) =>
      b.evidence - b.thresholds.low > a.evidence - a.thresholds.low ? b : a,
    );
    readings.push({ direction, evidence: nearest.evidence, thresholds: nearest.thresholds, band });
    for (const { test, thresholds, evidence, run } of stepped) {
      const severity = run.articles > 0 && gated(run, rules) ? severityFor(evidence, thresholds) : null;
      if (severity === null || !rules.directions.includes(direction) || severityRank(severity) <= reached)
        continue;
      const expected = band.expected;
      proposals.push({
        direction,
        severity,
        at: o.eventTime,
        evidence,
        threshold: thresholds[severity],
        thresholds,
        surgeShare: test.share,
        since: run.since as number,
        articles: run.articles,
        directionArticles: run.directionArticles,
        share: run.directionArticles / run.articles,
        band,
        z:
          (run.directionArticles - run.articles * expected) /
          Math.sqrt(run.articles * expected * (1 - expected)),
        models: run.models,
        acrossVersions: acrossVersions(run.models, state.baseline),
        top: run.top,
      });
      reached = severityRank(severity);
    }
    for (const { test, run } of stepped)
      test.next[direction] =
        run.articles > 0 && reached > severityRank(run.proposed)
          ? { ...run, proposed: SEVERITIES[reached] as Severity }
          : run;
  }
  return { state: next, readings, proposals };
}

export interface AlertMark {
  alertId: string;
  direction: Direction;
  severity: Severity;
  windowStart: number;
  windowEnd: number;
}

export type CooldownDecision =
  { action: 'raise' } | { action: 'upgrade'; of: string } | { action: 'suppress'; by: string };

/** Event-time distance between two windows: 0 when they overlap or touch. */
const gapBetween = (
  a: { windowStart: number; windowEnd: number },
  b: { windowStart: number; windowEnd: number },
) => Math.max(0, a.windowStart - b.windowEnd, b.windowStart - a.windowEnd);

/**
 * One surge, one alert: an alert of the same ticker and direction whose window is less than the
 * cooldown away (in event time, so replays decide the same) suppresses the candidate, unless the
 * candidate is more severe than every such alert — then it is raised as an upgrade of the strongest.
 */
export function cooldownDecision(
  candidate: { direction: Direction; severity: Severity; windowStart: number; windowEnd: number },
  recent: readonly AlertMark[],
  cooldownMs: number,
): CooldownDecision {
  let strongest: AlertMark | undefined;
  for (const mark of recent) {
    if (mark.direction !== candidate.direction || gapBetween(mark, candidate) >= cooldownMs) continue;
    if (!strongest || severityRank(mark.severity) >= severityRank(strongest.severity)) strongest = mark;
  }
  if (!strongest) return { action: 'raise' };
  if (severityRank(candidate.severity) > severityRank(strongest.severity)) {
    return { action: 'upgrade', of: strongest.alertId };
  }
  return { action: 'suppress', by: strongest.alertId };
}
