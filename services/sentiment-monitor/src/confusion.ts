// A model version's measured confusion: P(predicted label | actual label) on its held-out set, as
// the registry records it (`confusion_<actual>_as_<predicted>`), and the conservative default used
// for a version the registry has no confusion for. The surge test reads a label through it, so a
// weaker model (more confusion into the direction, less recall of it) needs more articles.
import { CALIBRATION_EDGES, calibrationMetricName, confusionMetricName } from '@mercato/contracts';
import { LABELS } from './window-aggregate';

/** Rows: actual label; columns: predicted label; in LABELS order; each row sums to 1. */
export type ConfusionMatrix = readonly (readonly number[])[];

export interface ModelConfusion {
  matrix: ConfusionMatrix;
  /** The version's measured calibration, when the registry has it (a version without reads labels only). */
  calibration?: Calibration;
  /** "measured": the registry's evaluation of the version; "default": DEFAULT_CONFUSION. */
  source: 'measured' | 'default';
  /** Why the default is used (no confusion metrics, the registry unreachable, …). */
  reason?: string;
}

/**
 * What a version without measured confusion is assumed to do: 70 % of each class right, and the
 * errors of a mediocre model (negative and positive mistaken for neutral more than for each
 * other). Weaker than any model worth serving, so an unmeasured model needs more evidence than a
 * measured one — never less.
 */
export const DEFAULT_CONFUSION: ConfusionMatrix = [
  [0.7, 0.2, 0.1],
  [0.15, 0.7, 0.15],
  [0.1, 0.2, 0.7],
];

/**
 * How sure the version was when it was right and when it was wrong: for each predicted label (rows
 * in LABELS order) and each confidence bin (its top probability, bins bounded by CALIBRATION_EDGES),
 * the share of the held-out examples given that label which fell in the bin and were right, and
 * which were wrong. Each label's right and wrong shares together sum to 1; the right ones sum to the
 * label's precision.
 */
export interface Calibration {
  right: readonly (readonly number[])[];
  wrong: readonly (readonly number[])[];
}

export const defaultConfusion = (reason: string): ModelConfusion => ({
  matrix: DEFAULT_CONFUSION,
  source: 'default',
  reason,
});

/** Rows whose sum is off by more than this are refused rather than renormalized. */
const ROW_TOLERANCE = 0.02;

/**
 * The confusion matrix in a version's registry metrics, or a reason why there is none usable:
 * every `confusion_<actual>_as_<predicted>` must be present, in [0, 1], each row summing to 1
 * (within rounding; rows are renormalized), and each label must be recalled better than chance.
 */
export function confusionFromMetrics(metrics: Readonly<Record<string, number>>): ConfusionMatrix | string {
  const rows: number[][] = [];
  for (const actual of LABELS) {
    const row: number[] = [];
    for (const predicted of LABELS) {
      const name = confusionMetricName(actual, predicted);
      const value = metrics[name];
      if (value === undefined) return `no ${name} metric`;
      if (!Number.isFinite(value) || value < 0 || value > 1) return `${name} is ${value}, not a probability`;
      row.push(value);
    }
    const sum = row.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > ROW_TOLERANCE) return `confusion_${actual}_as_* sums to ${sum.toFixed(3)}, not 1`;
    rows.push(row.map((v) => v / sum));
  }
  const recalled = rows.map((row, i) => row[i] as number);
  const weak = recalled.findIndex((r) => r <= 1 / LABELS.length);
  if (weak >= 0) return `the version recalls ${LABELS[weak]} no better than chance`;
  return rows;
}

/**
 * The calibration in a version's registry metrics, or why there is none usable (the version then
 * reads labels through its confusion alone): every `calibration_<predicted>_<right|wrong>_b<bin>`
 * present, each in (0, 1], each label's shares summing to 1 (renormalized within rounding), and
 * each label right more often than wrong overall.
 */
export function calibrationFromMetrics(metrics: Readonly<Record<string, number>>): Calibration | string {
  const right: number[][] = [];
  const wrong: number[][] = [];
  for (const label of LABELS) {
    const rows = { right: [] as number[], wrong: [] as number[] };
    for (const outcome of ['right', 'wrong'] as const) {
      for (let bin = 0; bin < CALIBRATION_EDGES.length; bin++) {
        const name = calibrationMetricName(label, outcome, bin);
        const value = metrics[name];
        if (value === undefined) return `no ${name} metric`;
        if (!Number.isFinite(value) || value <= 0 || value > 1) return `${name} is ${value}, not in (0, 1]`;
        rows[outcome].push(value);
      }
    }
    const sum = [...rows.right, ...rows.wrong].reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > ROW_TOLERANCE) return `calibration_${label}_* sums to ${sum.toFixed(3)}, not 1`;
    const precision = rows.right.reduce((a, b) => a + b, 0) / sum;
    if (precision <= 0.5) return `the version's ${label} labels are right no more often than wrong`;
    right.push(rows.right.map((v) => v / sum));
    wrong.push(rows.wrong.map((v) => v / sum));
  }
  return { right, wrong };
}

/** The registry version that scored a record: whose model it is, its name and its version. */
export interface ModelKey {
  /** "platform" (the platform's model) or the tenant id whose own model it is. */
  owner: string;
  name: string;
  version: number;
}

/**
 * How windows, alerts and the API name the version that scored a record: `owner/name@version`, or
 * `name@version` when the scorer did not say whose model it was (scorers older than model_owner).
 */
export function modelLabel(owner: string, name: string, version: string): string {
  if (name === '') return version;
  return owner === '' ? `${name}@${version}` : `${owner}/${name}@${version}`;
}

const LABEL = /^(?:([^/@]+)\/)?([a-z0-9][a-z0-9._-]{0,62})@v?([1-9][0-9]{0,9})$/;

/**
 * The registry version a label names, or undefined when it names none (no model name, a version
 * that is not a number). Without an owner, the record's tenant is taken as the owner.
 */
export function modelKeyOf(label: string, tenantId: string): ModelKey | undefined {
  const m = LABEL.exec(label);
  if (!m) return undefined;
  return { owner: m[1] ?? tenantId, name: m[2] as string, version: Number(m[3]) };
}
