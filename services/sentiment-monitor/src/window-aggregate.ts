// What a window holds: counts per label, summed probabilities, volume, the model versions that
// scored its records, and its evidence — the most confident negative and positive headlines, kept
// as a bounded top-N so an alert can show why it fired without storing every article.

export const LABELS = ['negative', 'neutral', 'positive'] as const;
export type Label = (typeof LABELS)[number];

/** One scored (article, ticker) record, as the monitor counts it. */
export interface Observation {
  eventId: string;
  tenantId: string;
  ticker: string;
  articleId: string;
  headline: string;
  source: string;
  /** published_at, ms since the epoch: the record's event time. */
  eventTime: number;
  label: Label;
  probNegative: number;
  probNeutral: number;
  probPositive: number;
  modelVersion: string;
}

export interface Evidence {
  articleId: string;
  headline: string;
  source: string;
  /** The model's probability of the direction (negative or positive). */
  probability: number;
  publishedAt: string;
}

export interface WindowCounts {
  negative: number;
  neutral: number;
  positive: number;
  volume: number;
  sumProbNegative: number;
  sumProbNeutral: number;
  sumProbPositive: number;
  modelVersions: string[];
  topNegative: Evidence[];
  topPositive: Evidence[];
}

export const EVIDENCE_PER_WINDOW = 5;
/** Bounds the list when many versions score one window (a rollout flapping); the first ones stay. */
const MAX_MODEL_VERSIONS = 20;

export const emptyCounts = (): WindowCounts => ({
  negative: 0,
  neutral: 0,
  positive: 0,
  volume: 0,
  sumProbNegative: 0,
  sumProbNeutral: 0,
  sumProbPositive: 0,
  modelVersions: [],
  topNegative: [],
  topPositive: [],
});

/** Most probable first; ties by most recent, then article id, so the order is deterministic. */
function byStrength(a: Evidence, b: Evidence): number {
  if (b.probability !== a.probability) return b.probability - a.probability;
  if (a.publishedAt !== b.publishedAt) return a.publishedAt < b.publishedAt ? 1 : -1;
  return a.articleId < b.articleId ? -1 : a.articleId > b.articleId ? 1 : 0;
}

/** The top n of both lists, one entry per article (its strongest). */
export function mergeEvidence(
  a: readonly Evidence[],
  b: readonly Evidence[],
  n = EVIDENCE_PER_WINDOW,
): Evidence[] {
  const best = new Map<string, Evidence>();
  for (const e of [...a, ...b]) {
    const held = best.get(e.articleId);
    if (!held || byStrength(e, held) < 0) best.set(e.articleId, e);
  }
  return [...best.values()].sort(byStrength).slice(0, n);
}

const evidenceOf = (o: Observation, probability: number): Evidence => ({
  articleId: o.articleId,
  headline: o.headline,
  source: o.source,
  probability,
  publishedAt: new Date(o.eventTime).toISOString(),
});

/** Counts one record into the window (mutates and returns it). */
export function addObservation(c: WindowCounts, o: Observation): WindowCounts {
  c[o.label] += 1;
  c.volume += 1;
  c.sumProbNegative += o.probNegative;
  c.sumProbNeutral += o.probNeutral;
  c.sumProbPositive += o.probPositive;
  if (
    o.modelVersion &&
    !c.modelVersions.includes(o.modelVersion) &&
    c.modelVersions.length < MAX_MODEL_VERSIONS
  ) {
    c.modelVersions = [...c.modelVersions, o.modelVersion].sort();
  }
  if (o.label === 'negative') c.topNegative = mergeEvidence(c.topNegative, [evidenceOf(o, o.probNegative)]);
  if (o.label === 'positive') c.topPositive = mergeEvidence(c.topPositive, [evidenceOf(o, o.probPositive)]);
  return c;
}

/** The sum of two partial aggregates of one window. */
export function mergeCounts(a: WindowCounts, b: WindowCounts): WindowCounts {
  return {
    negative: a.negative + b.negative,
    neutral: a.neutral + b.neutral,
    positive: a.positive + b.positive,
    volume: a.volume + b.volume,
    sumProbNegative: a.sumProbNegative + b.sumProbNegative,
    sumProbNeutral: a.sumProbNeutral + b.sumProbNeutral,
    sumProbPositive: a.sumProbPositive + b.sumProbPositive,
    modelVersions: [...new Set([...a.modelVersions, ...b.modelVersions])].sort().slice(0, MAX_MODEL_VERSIONS),
    topNegative: mergeEvidence(a.topNegative, b.topNegative),
    topPositive: mergeEvidence(a.topPositive, b.topPositive),
  };
}
