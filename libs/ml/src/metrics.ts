// Evaluation metrics for the sentiment classifier and the recommender. Pure functions over plain
// arrays, so the same numbers come out of the CLI, the training service and the benchmarks.
import { CALIBRATION_EDGES, calibrationBin, calibrationMetricName } from '@mercato/contracts';

export interface ClassificationReport {
  accuracy: number;
  macroF1: number;
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  /** confusion[actual][predicted] */
  confusion: number[][];
  labels: string[];
  /** calibrationMetrics of the predictions, when their top probabilities were given. */
  calibration?: Record<string, number>;
}

export function classificationReport(
  actual: number[],
  predicted: number[],
  labels: string[],
  confidence?: readonly number[],
): ClassificationReport {
  if (actual.length !== predicted.length) throw new Error('actual and predicted differ in length');
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const p = predicted[i];
    confusion[a][p] = confusion[a][p] + 1;
    if (a === p) correct++;
  }
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((s, n) => s + n, 0);
    const predictedAs = confusion.reduce((s, row) => s + row[c], 0);
    const precision = predictedAs === 0 ? 0 : tp / predictedAs;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  return {
    accuracy: actual.length === 0 ? 0 : correct / actual.length,
    macroF1: perClass.reduce((s, c) => s + c.f1, 0) / k,
    perClass,
    confusion,
    labels,
    ...(confidence ? { calibration: calibrationMetrics(actual, predicted, confidence, labels) } : {}),
  };
}

/** Pseudo-examples spread over each label's bins, so no bin of a small held-out set is ever zero. */
const CALIBRATION_PRIOR = 0.5;

/**
 * A classifier's calibration as registry metrics (`calibrationMetricName` of @mercato/contracts):
 * for each predicted label, the share of the examples given it that fell in each confidence bin
 * (the top probability, bins of CALIBRATION_EDGES) and were right, and that were wrong. Each cell
 * gets CALIBRATION_PRIOR pseudo-examples first (half right, half wrong), so no share is 0 and a
 * label the set never predicted reads as uninformative rather than impossible.
 */
export function calibrationMetrics(
  actual: readonly number[],
  predicted: readonly number[],
  confidence: readonly number[],
  labels: readonly string[],
): Record<string, number> {
  const bins = CALIBRATION_EDGES.length;
  const counts = labels.map(() => ({
    right: new Array<number>(bins).fill(CALIBRATION_PRIOR),
    wrong: new Array<number>(bins).fill(CALIBRATION_PRIOR),
  }));
  predicted.forEach((p, i) => {
    const cell = counts[p];
    if (!cell) throw new Error(`predicted label ${p} is not one of the ${labels.length} labels`);
    const bin = calibrationBin(confidence[i] as number);
    const outcome = p === actual[i] ? cell.right : cell.wrong;
    outcome[bin] = (outcome[bin] as number) + 1;
  });
  const out: Record<string, number> = {};
  counts.forEach(({ right, wrong }, p) => {
    const total = [...right, ...wrong].reduce((a, b) => a + b, 0);
    for (let bin = 0; bin < bins; bin++) {
      out[calibrationMetricName(labels[p] as string, 'right', bin)] = (right[bin] as number) / total;
      out[calibrationMetricName(labels[p] as string, 'wrong', bin)] = (wrong[bin] as number) / total;
    }
  });
  return out;
}

/**
 * Early stopping's test for sentiment models: a higher validation macro-F1, or the same one (within
 * 1e-4: on easy data it saturates) with a lower validation loss, so calibration still improves.
 */
export function betterEpoch(
  candidate: { macroF1: number; loss: number },
  best: { macroF1: number; loss: number },
): boolean {
  if (candidate.macroF1 > best.macroF1 + 1e-4) return true;
  return candidate.macroF1 >= best.macroF1 - 1e-4 && candidate.loss < best.loss - 1e-4;
}

export function rmse(actual: number[], predicted: number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += (actual[i] - predicted[i]) ** 2;
  return Math.sqrt(sum / Math.max(1, actual.length));
}

export function mae(actual: number[], predicted: number[]): number {
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i] - predicted[i]);
  return sum / Math.max(1, actual.length);
}

/** 1 when the held-out item is in the top K of the ranked list. */
export function hitAtK(ranked: string[], relevant: string, k: number): number {
  return ranked.slice(0, k).includes(relevant) ? 1 : 0;
}

/** NDCG@K with binary relevance over a set of relevant items. */
export function ndcgAtK(ranked: string[], relevant: Set<string> | string, k: number): number {
  const rel = typeof relevant === 'string' ? new Set([relevant]) : relevant;
  let dcg = 0;
  ranked.slice(0, k).forEach((item, i) => {
    if (rel.has(item)) dcg += 1 / Math.log2(i + 2);
  });
  let idcg = 0;
  for (let i = 0; i < Math.min(k, rel.size); i++) idcg += 1 / Math.log2(i + 2);
  return idcg === 0 ? 0 : dcg / idcg;
}

export function recallAtK(ranked: string[], relevant: Set<string>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (const item of ranked.slice(0, k)) if (relevant.has(item)) hits++;
  return hits / relevant.size;
}

/** Share of the catalogue that appears in at least one user's top K. */
export function coverage(rankedLists: string[][], catalogueSize: number, k: number): number {
  const seen = new Set<string>();
  for (const list of rankedLists) for (const item of list.slice(0, k)) seen.add(item);
  return catalogueSize === 0 ? 0 : seen.size / catalogueSize;
}

export const mean = (xs: number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
