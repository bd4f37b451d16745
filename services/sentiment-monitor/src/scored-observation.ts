// Turns a ScoredArticle record into the Observation the windows count, or says why it cannot be
// counted. The event time is published_at (falling back to received_at, then the broker timestamp,
// for producers that leave it out); a record without a label is labelled by its highest probability.
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { SentimentLabel, TICKER_RULE, normalizeTicker, type ScoredArticle } from '@mercato/contracts';
import type { KafkaRecordInfo } from '@mercato/kafka';
import { modelLabel } from './confusion';
import type { Label, Observation } from './window-aggregate';

export class InvalidScoredRecord extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidScoredRecord';
  }
}

const MAX_HEADLINE = 500;
const MAX_SOURCE = 100;

function labelOf(value: ScoredArticle): Label {
  switch (value.label) {
    case SentimentLabel.NEGATIVE:
      return 'negative';
    case SentimentLabel.NEUTRAL:
      return 'neutral';
    case SentimentLabel.POSITIVE:
      return 'positive';
    case SentimentLabel.UNSPECIFIED: {
      const { probNegative: n, probNeutral: u, probPositive: p } = value;
      if (n + u + p <= 0) throw new InvalidScoredRecord('no label and no probabilities');
      return n >= u && n >= p ? 'negative' : p >= u ? 'positive' : 'neutral';
    }
    default:
      throw new InvalidScoredRecord(`unknown label ${String(value.label)}`);
  }
}

function probability(name: string, p: number): number {
  if (!Number.isFinite(p) || p < 0 || p > 1.0001) {
    throw new InvalidScoredRecord(`${name} must be a probability, got ${p}`);
  }
  return Math.min(1, p);
}

export function toObservation(
  value: ScoredArticle,
  record: KafkaRecordInfo,
  defaultTenant: string,
): Observation {
  const raw = value.ticker || record.key || '';
  const ticker = normalizeTicker(raw);
  if (ticker === undefined) throw new InvalidScoredRecord(`ticker "${raw}" ${TICKER_RULE}`);
  const eventTime = value.publishedAt
    ? timestampMs(value.publishedAt)
    : value.receivedAt
      ? timestampMs(value.receivedAt)
      : record.timestamp;
  if (!Number.isFinite(eventTime)) throw new InvalidScoredRecord('no usable published_at');
  return {
    eventId: record.eventId,
    tenantId: value.tenantId || record.tenantId || defaultTenant,
    ticker,
    articleId: value.articleId || record.eventId,
    headline: value.headline.slice(0, MAX_HEADLINE),
    source: value.source.slice(0, MAX_SOURCE),
    eventTime,
    label: labelOf(value),
    probNegative: probability('prob_negative', value.probNegative),
    probNeutral: probability('prob_neutral', value.probNeutral),
    probPositive: probability('prob_positive', value.probPositive),
    modelVersion: modelLabel(value.modelOwner, value.modelName, value.modelVersion),
  };
}
