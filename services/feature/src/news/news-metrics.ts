// The news path's own Prometheus metrics (the transport already counts records and times handlers).
import { counter, gauge, histogram } from '@mercato/telemetry';

export const newsMetrics = {
  feedbackDisagreement: gauge(
    'mercato_feature_sentiment_feedback_disagreement',
    "Share of a tenant's latest corrections (those that say what the model had said) whose label differs from the served one",
    ['tenant', 'model'],
  ),
  feedback: counter(
    'mercato_feature_sentiment_feedback_total',
    'Sentiment label corrections stored (POST /v1/sentiment/feedback), by the label given',
    ['label'],
  ),
  enriched: counter(
    'mercato_feature_articles_enriched_total',
    'Enriched articles published, by whether this delivery stored them (stored) or found them already stored (redelivered)',
    ['result'],
  ),
  droppedTickers: counter(
    'mercato_feature_dropped_tickers_total',
    'Explicit tickers of raw articles left out of the enriched article, by reason (invalid_ticker: no ticker under the contract)',
    ['reason'],
  ),
  tickersPerArticle: histogram(
    'mercato_feature_article_tickers',
    'Tickers found per enriched article',
    [],
    [0, 1, 2, 3, 4, 6, 10],
  ),
  lag: histogram(
    'mercato_feature_article_enrichment_lag_seconds',
    'From the raw record reaching news.raw.v1 (its broker timestamp) to its enriched record being published',
    [],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  ),
};
