// Scored observations and a measured confusion for the monitor's unit specs (surge test, batch
// planning, baselines): one builder, so every spec's articles look alike.
import type { ConfusionMatrix, ModelConfusion } from '../src/confusion';
import type { Label, Observation } from '../src/window-aggregate';

/** A good model's measured confusion: 90 % of each class right. */
export const SHARP_CONFUSION: ConfusionMatrix = [
  [0.9, 0.08, 0.02],
  [0.05, 0.9, 0.05],
  [0.02, 0.08, 0.9],
];
export const MEASURED: ModelConfusion = { matrix: SHARP_CONFUSION, source: 'measured' };

let n = 0;

/** An article of `ticker` at `eventTime` with its label's probability `p` (the rest split evenly). */
export function observation(
  eventTime: number,
  label: Label,
  o: { ticker?: string; p?: number; modelVersion?: string } = {},
): Observation {
  n++;
  const { ticker = 'ACME', p = 0.9, modelVersion = 'platform/sentiment@3' } = o;
  const rest = (1 - p) / 2;
  return {
    eventId: `e${n}`,
    tenantId: 'default',
    ticker,
    articleId: `a${n}`,
    headline: `${ticker} ${label} ${n}`,
    source: 'wire',
    eventTime,
    label,
    probNegative: label === 'negative' ? p : rest,
    probNeutral: label === 'neutral' ? p : rest,
    probPositive: label === 'positive' ? p : rest,
    modelVersion,
  };
}
