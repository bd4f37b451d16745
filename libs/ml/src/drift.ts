// Drift of a sentiment model's predictions: the distribution of predicted classes and of confidence
// (the top probability) over a set of texts, and the population stability index (PSI) of a live
// window against the distribution the model showed on its held-out evaluation; and of its input: the
// share of the texts' words (or word pieces) outside the model's vocabulary. Training records the
// reference among the version's metrics (`reference_share_<label>`, `reference_confidence_<bin>`,
// `reference_unknown_rate`); scoring compares each tenant's stream with it. Pure logic, no I/O.
import { SENTIMENT_LABELS } from './datasets';

/** Lower edges of the confidence bins after the first: [min, 0.5), [0.5, 0.6), … [0.9, 1]. */
export const CONFIDENCE_EDGES = [0.5, 0.6, 0.7, 0.8, 0.9] as const;

export interface PredictionProfile {
  /** Share of each predicted class, in SENTIMENT_LABELS order. */
  classes: number[];
  /** Share of predictions in each confidence bin (CONFIDENCE_EDGES.length + 1 bins). */
  confidence: number[];
  /** Predictions the shares are of. */
  count: number;
  /**
   * Share of the texts' units (words or word pieces) outside the model's vocabulary; absent in the
   * reference of a version trained before it was recorded.
   */
  unknownRate?: number;
}

/** The usual reading of a PSI: below 0.1 stable, 0.1–0.25 shifting, above 0.25 shifted. */
export const PSI_SHIFTED = 0.25;

const confidenceBin = (p: number): number => {
  let bin = 0;
  for (const edge of CONFIDENCE_EDGES) if (p >= edge) bin++;
  return bin;
};

/** Counts of predicted classes and confidence bins, to accumulate a window. */
export function predictionCounts(
  predictions: readonly { label: number; probabilities: readonly number[] }[],
): { classes: number[]; confidence: number[] } {
  const classes = SENTIMENT_LABELS.map(() => 0);
  const confidence = Array.from({ length: CONFIDENCE_EDGES.length + 1 }, () => 0);
  for (const p of predictions) {
    classes[p.label] = (classes[p.label] ?? 0) + 1;
    const bin = confidenceBin(Math.max(...p.probabilities));
    confidence[bin] = (confidence[bin] ?? 0) + 1;
  }
  return { classes, confidence };
}

export function profileOf(counts: { classes: number[]; confidence: number[] }): PredictionProfile {
  const count = counts.classes.reduce((a, b) => a + b, 0);
  const share = (xs: number[]): number[] => xs.map((x) => (count === 0 ? 0 : x / count));
  return { classes: share(counts.classes), confidence: share(counts.confidence), count };
}

/** The profile as version metrics (numbers only, as the registry keeps them). */
export function referenceMetrics(profile: PredictionProfile): Record<string, number> {
  return {
    ...Object.fromEntries(SENTIMENT_LABELS.map((l, i) => [`reference_share_${l}`, profile.classes[i] ?? 0])),
    ...Object.fromEntries(profile.confidence.map((s, i) => [`reference_confidence_${i}`, s])),
    reference_count: profile.count,
    ...(profile.unknownRate === undefined ? {} : { reference_unknown_rate: profile.unknownRate }),
  };
}

/** The reference back from a version's metrics; undefined for a version trained without one. */
export function referenceFromMetrics(metrics: Record<string, number>): PredictionProfile | undefined {
  const classes = SENTIMENT_LABELS.map((l) => metrics[`reference_share_${l}`]);
  const confidence = Array.from(
    { length: CONFIDENCE_EDGES.length + 1 },
    (_, i) => metrics[`reference_confidence_${i}`],
  );
  const count = metrics.reference_count;
  if ([...classes, ...confidence, count].some((x) => typeof x !== 'number' || !Number.isFinite(x)))
    return undefined;
  const unknownRate = metrics.reference_unknown_rate;
  return {
    classes: classes as number[],
    confidence: confidence as number[],
    count: count as number,
    ...(typeof unknownRate === 'number' && Number.isFinite(unknownRate) ? { unknownRate } : {}),
  };
}

/**
 * Whether a window's unknown-unit rate has risen past the reference's by at least `margin` (a share
 * of all units, e.g. 0.05 = five more in a hundred): new vocabulary the model cannot read. Not judged
 * (false) without a reference rate.
 */
export const unknownRateDrifted = (reference: PredictionProfile, live: number, margin: number): boolean =>
  reference.unknownRate !== undefined && live - reference.unknownRate >= margin;

// An empty bin on either side would make the index infinite: shares are floored at this.
const FLOOR = 1e-4;

/** Population stability index: Σ (actual − expected) · ln(actual / expected) over the bins. */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i] ?? 0, FLOOR);
    const a = Math.max(actual[i] ?? 0, FLOOR);
    total += (a - e) * Math.log(a / e);
  }
  return total;
}
