// The promotion policy: whether a challenger version may take an alias from the version holding it
// (the champion), judged on one metric with a minimum absolute improvement, on a held-out sample of
// at least a minimum size. A retrain scores the champion on its own held-out data: those figures,
// when they are of the very version holding the alias, are the fair comparison and are used instead
// of the champion's registration metrics. Pure logic, no I/O.
import type { OnlineEvidence } from '@mercato/registry-client';

export interface PromotionPolicy {
  /** Metric name as registered with the versions, e.g. macro_f1 or ndcg_at_10_sampled99. */
  metric: string;
  /** Minimum absolute improvement over the champion (0 still demands a strict improvement). */
  margin: number;
  higherIsBetter: boolean;
  /** Fewest held-out examples the challenger must have been evaluated on (0: any). */
  minSample?: number;
}

export interface PolicyCandidate {
  version: number;
  metrics: Record<string, number>;
  /** Held-out examples the metrics were measured on (lineage testExamples). */
  sample?: number;
  /** The champion's metrics on this challenger's held-out data, measured by the job (lineage). */
  championOnHoldout?: { version: number; metrics: Record<string, number> };
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
  policy?: PromotionPolicy;
  challengerValue?: number;
  championValue?: number;
  /** Challenger minus champion, sign-adjusted so that positive always means better. */
  improvement?: number;
  /** Held-out examples the challenger was evaluated on. */
  sample?: number;
  /**
   * `holdout`: the champion was scored on the challenger's held-out data; `registered`: its own
   * metrics; `online`: both were measured on live traffic by the serving service (OnlineEvidence).
   */
  championMeasuredOn?: 'holdout' | 'registered' | 'online';
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
  const { sample } = challenger;
  const challengerValue = metricOf(challenger, metric);
  if (challengerValue === undefined) {
    return {
      promote: false,
      policy,
      sample,
      reason: `v${challenger.version} has no metric "${metric}" required by the promotion policy`,
    };
  }
  if (!champion) {
    return {
      promote: true,
      policy,
      challengerValue,
      sample,
      reason: `no version holds ${alias} yet`,
    };
  }
  // A sample too small to trust a comparison: with no champion there is nothing to compare, so it
  // applies only here.
  const minSample = policy.minSample ?? 0;
  if (minSample > 0 && (sample === undefined || sample < minSample)) {
    return {
      promote: false,
      policy,
      challengerValue,
      sample,
      reason:
        `v${challenger.version} was evaluated on ${sample ?? 'an unknown number of'} held-out examples; ` +
        `the promotion policy needs at least ${minSample}`,
    };
  }
  const onHoldout =
    challenger.championOnHoldout?.version === champion.version
      ? metricOf({ version: champion.version, metrics: challenger.championOnHoldout.metrics }, metric)
      : undefined;
  const championValue = onHoldout ?? metricOf(champion, metric);
  const championMeasuredOn = onHoldout === undefined ? 'registered' : 'holdout';
  if (championValue === undefined) {
    return {
      promote: true,
      policy,
      challengerValue,
      sample,
      reason: `${alias} v${champion.version} has no metric "${metric}" to compare against`,
    };
  }
  const improvement = higherIsBetter ? challengerValue - championValue : championValue - challengerValue;
  const direction = higherIsBetter ? 'higher is better' : 'lower is better';
  const beats = improvement > EPSILON && improvement >= margin - EPSILON;
  const measured =
    championMeasuredOn === 'holdout' ? ' on the same held-out data' : ' (its registration metrics)';
  const summary =
    `v${challenger.version} ${metric} ${fmt(challengerValue)} vs ${alias} v${champion.version} ` +
    `${fmt(championValue)}${measured} (${direction}): improvement ${fmt(improvement)}, margin ${fmt(margin)}` +
    (sample === undefined ? '' : `, ${sample} held-out examples`);
  return {
    promote: beats,
    policy,
    challengerValue,
    championValue,
    improvement,
    sample,
    championMeasuredOn,
    reason: beats ? `${summary}: beats the champion` : `${summary}: does not beat the champion`,
  };
}

/** The verdict on online evidence: its figures against its own minimum sample and margin. */
export function evaluateOnline(
  evidence: OnlineEvidence,
  challengerVersion: number,
  championVersion: number | undefined,
  alias = 'production',
): PromotionDecision {
  const { metric, margin, challengerValue, championValue, sample, minSample } = evidence;
  const policy: PromotionPolicy = { metric, margin, higherIsBetter: true, minSample };
  const improvement = challengerValue - championValue;
  const figures = { policy, challengerValue, championValue, improvement, sample };
  const holder = championVersion === undefined ? `${alias} (unset)` : `${alias} v${championVersion}`;
  const summary =
    `v${challengerVersion} ${metric} ${fmt(challengerValue)} vs ${holder} ${fmt(championValue)} online ` +
    `over ${sample} answers: improvement ${fmt(improvement)}, margin ${fmt(margin)}`;
  if (sample < minSample)
    return {
      promote: false,
      ...figures,
      championMeasuredOn: 'online',
      reason: `${summary}: fewer than the ${minSample} answers needed`,
    };
  const holds = improvement >= margin - EPSILON;
  return {
    promote: holds,
    ...figures,
    championMeasuredOn: 'online',
    reason: `${summary}: ${holds ? 'at least as good as the margin asks' : 'worse than the margin allows'}`,
  };
}

const METRIC_NAME = /^[A-Za-z][A-Za-z0-9_.@-]{0,63}$/;

/**
 * Parses a policy written as `metric:margin[:higher|lower[:minSample]]`, e.g. `macro_f1:0.005`,
 * `rmse:0.01:lower` or `macro_f1:0.005:higher:200` (the form of the PROMOTION_POLICY_<KIND>
 * variables). Throws with the reason.
 */
export function parsePolicySpec(spec: string): PromotionPolicy {
  const parts = spec.trim().split(':');
  if (parts.length < 2 || parts.length > 4) {
    throw new Error(
      'expected metric:margin[:higher|lower[:minSample]], e.g. macro_f1:0.005 or macro_f1:0.005:higher:200',
    );
  }
  const [metric, marginText, direction = 'higher', minSampleText] = parts.map((p) => p.trim());
  if (!METRIC_NAME.test(metric)) throw new Error(`"${metric}" is not a metric name`);
  const margin = Number(marginText);
  if (marginText === '' || !Number.isFinite(margin) || margin < 0) {
    throw new Error(`margin "${marginText}" is not a number >= 0`);
  }
  if (direction !== 'higher' && direction !== 'lower') {
    throw new Error(`direction "${direction}" must be higher or lower`);
  }
  const minSample = minSampleText === undefined ? 0 : Number(minSampleText);
  if (!Number.isInteger(minSample) || minSample < 0) {
    throw new Error(`minimum sample "${minSampleText}" is not a whole number >= 0`);
  }
  return { metric, margin, higherIsBetter: direction === 'higher', ...(minSample > 0 ? { minSample } : {}) };
}

export { METRIC_NAME };
