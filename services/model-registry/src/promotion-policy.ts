// The promotion policy: whether a challenger version may take an alias from the version holding it
// (the champion), judged on one metric with a minimum absolute improvement. Pure logic, no I/O.

export interface PromotionPolicy {
  /** Metric name as registered with the versions, e.g. macro_f1 or ndcg_at_10_sampled99. */
  metric: string;
  /** Minimum absolute improvement over the champion (0 still demands a strict improvement). */
  margin: number;
  higherIsBetter: boolean;
}

export interface PolicyCandidate {
  version: number;
  metrics: Record<string, number>;
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
  policy?: PromotionPolicy;
  challengerValue?: number;
  championValue?: number;
  /** Challenger minus champion, sign-adjusted so that positive always means better. */
  improvement?: number;
}

// Metric values are floats computed by different processes; differences below this are noise, so
// 0.905 - 0.9 (0.00500000000000000444) is taken as exactly the margin 0.005.
const EPSILON = 1e-9;

const fmt = (n: number): string => Number(n.toPrecision(6)).toString();

function metricOf(candidate: PolicyCandidate, metric: string): number | undefined {
  const value = candidate.metrics[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Without a policy the promotion always goes ahead. With one, the challenger needs the metric, and
 * must beat the champion by at least the margin (and strictly, when the margin is 0). A champion
 * without the metric gives nothing to compare against, so the challenger is promoted and the
 * reason says so.
 */
export function evaluatePromotion(
  policy: PromotionPolicy | undefined,
  challenger: PolicyCandidate,
  champion: PolicyCandidate | undefined,
  alias = 'production',
): PromotionDecision {
  if (!policy) return { promote: true, reason: 'no promotion policy applies' };
  const { metric, margin, higherIsBetter } = policy;
  const challengerValue = metricOf(challenger, metric);
  if (challengerValue === undefined) {
    return {
      promote: false,
      policy,
      reason: `v${challenger.version} has no metric "${metric}" required by the promotion policy`,
    };
  }
  if (!champion) {
    return {
      promote: true,
      policy,
      challengerValue,
      reason: `no version holds ${alias} yet`,
    };
  }
  const championValue = metricOf(champion, metric);
  if (championValue === undefined) {
    return {
      promote: true,
      policy,
      challengerValue,
      reason: `${alias} v${champion.version} has no metric "${metric}" to compare against`,
    };
  }
  const improvement = higherIsBetter ? challengerValue - championValue : championValue - challengerValue;
  const direction = higherIsBetter ? 'higher is better' : 'lower is better';
  const beats = improvement > EPSILON && improvement >= margin - EPSILON;
  const summary =
    `v${challenger.version} ${metric} ${fmt(challengerValue)} vs ${alias} v${champion.version} ` +
    `${fmt(championValue)} (${direction}): improvement ${fmt(improvement)}, margin ${fmt(margin)}`;
  return {
    promote: beats,
    policy,
    challengerValue,
    championValue,
    improvement,
    reason: beats ? `${summary}: beats the champion` : `${summary}: does not beat the champion`,
  };
}

const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.@-]{0,63}$/;

/**
 * Parses a policy written as `metric:margin[:higher|lower]`, e.g. `macro_f1:0.005` or
 * `rmse:0.01:lower` (the form of the PROMOTION_POLICY_<KIND> variables). Throws with the reason.
 */
export function parsePolicySpec(spec: string): PromotionPolicy {
  const parts = spec.trim().split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new Error('expected metric:margin or metric:margin:higher|lower, e.g. macro_f1:0.005');
  }
  const [metric, marginText, direction = 'higher'] = parts.map((p) => p.trim());
  if (!METRIC_NAME.test(metric)) throw new Error(`"${metric}" is not a metric name`);
  const margin = Number(marginText);
  if (marginText === '' || !Number.isFinite(margin) || margin < 0) {
    throw new Error(`margin "${marginText}" is not a number >= 0`);
  }
  if (direction !== 'higher' && direction !== 'lower') {
    throw new Error(`direction "${direction}" must be higher or lower`);
  }
  return { metric, margin, higherIsBetter: direction === 'higher' };
}

export { METRIC_NAME };
