// A model version's measured confusion: P(predicted label | actual label) on its held-out set, as
// the registry records it (`confusion_<actual>_as_<predicted>`), and the conservative default used
// for a version the registry has no confusion for. The surge test reads a label through it, so a
// weaker model (more confusion into the direction, less recall of it) needs more articles.
import { confusionMetricName } from '@mercato/contracts';
import { LABELS } from './window-aggregate';

/** Rows: actual label; columns: predicted label; in LABELS order; each row sums to 1. */
export type ConfusionMatrix = readonly (readonly number[])[];

export interface ModelConfusion {
  matrix: ConfusionMatrix;
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
