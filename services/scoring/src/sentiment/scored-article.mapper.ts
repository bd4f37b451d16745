// Maps a scored EnrichedArticle to its ScoredArticle records: one per distinct ticker, keyed by the
// ticker, each with an event id derived from the input's event id and the ticker, so a redelivered
// article (after a crash or rebalance) produces the very same ids and the monitor can dedupe.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  SentimentLabel,
  normalizeTickers,
  type EnrichedArticle,
  type ScoredArticleSchema,
} from '@mercato/contracts';
import { uuidV5, type OutgoingRecord } from '@mercato/kafka';
import type { SentimentLabelName, TokenWeight } from '@mercato/ml';

/** The UUID v5 namespace of scored-article event ids (fixed forever: changing it changes every id). */
export const SCORED_EVENT_NAMESPACE = '6f878cb8-5154-4a18-9e84-266f4761d565';

/** The event id of the scored record for (input event, ticker); the NUL keeps the two parts apart. */
export const scoredEventId = (inputEventId: string, ticker: string): string =>
  uuidV5(SCORED_EVENT_NAMESPACE, `${inputEventId}\u0000${ticker}`);

/**
 * The text the classifier reads: the headline, which is what sentiment models are trained on
 * (headline-length sentences; the tokenizer keeps only the first maxLength tokens anyway); the
 * normalized text when an item has no headline (posts, wire flashes).
 */
export const scoringText = (article: Pick<EnrichedArticle, 'headline' | 'normalizedText'>): string =>
  article.headline.trim() || article.normalizedText.trim();

const LABEL_ENUM: Record<SentimentLabelName, SentimentLabel> = {
  negative: SentimentLabel.NEGATIVE,
  neutral: SentimentLabel.NEUTRAL,
  positive: SentimentLabel.POSITIVE,
};

export interface ArticleScore {
  label: SentimentLabelName;
  probabilities: Record<SentimentLabelName, number>;
  topTokens: TokenWeight[];
}

export interface ScoringInput {
  eventId: string;
  tenantId: string;
  article: EnrichedArticle;
}

export function toScoredRecords(
  input: ScoringInput,
  score: ArticleScore,
  model: { owner: string; name: string; version: number },
  scoredAt: Date,
): OutgoingRecord<typeof ScoredArticleSchema>[] {
  const { article } = input;
  return normalizeTickers(article.tickers).tickers.map((ticker) => {
    const value: MessageInitShape<typeof ScoredArticleSchema> = {
      tenantId: input.tenantId,
      articleId: article.articleId,
      ticker,
      source: article.source,
      headline: article.headline,
      publishedAt: article.publishedAt,
      label: LABEL_ENUM[score.label],
      probNegative: score.probabilities.negative,
      probNeutral: score.probabilities.neutral,
      probPositive: score.probabilities.positive,
      modelName: model.name,
      modelVersion: String(model.version),
      modelOwner: model.owner,
      topTokens: score.topTokens.map((t) => ({ token: t.token, weight: t.weight })),
      receivedAt: article.receivedAt,
      scoredAt: timestampFromDate(scoredAt),
    };
    return { key: ticker, eventId: scoredEventId(input.eventId, ticker), tenantId: input.tenantId, value };
  });
}
