// The sentiment part's Prometheus metrics.
import { counter, gauge, histogram } from '@mercato/telemetry';

export const sentimentMetrics = {
  driftPsi: gauge(
    'mercato_model_drift_psi',
    "Population stability index of a tenant's production sentiment model over its last drift window, against its held-out evaluation, by signal (predicted_class, confidence)",
    ['tenant', 'model', 'version', 'signal'],
  ),
  unknownRate: gauge(
    'mercato_model_unknown_rate',
    "Share of the words (or word pieces) of a tenant's texts outside its production sentiment model's vocabulary, over its last drift window",
    ['tenant', 'model', 'version'],
  ),
  predictedShare: gauge(
    'mercato_model_predicted_share',
    "Share of each predicted sentiment class in a tenant's last drift window",
    ['tenant', 'model', 'version', 'label'],
  ),
  scoredRecords: counter(
    'mercato_scoring_scored_records_total',
    'ScoredArticle records written to news.scored.v1, by model version',
    ['model', 'version'],
  ),
  skippedArticles: counter(
    'mercato_scoring_skipped_articles_total',
    'Enriched articles that produce no scored record (no_tickers, no_text)',
    ['reason'],
  ),
  droppedTickers: counter(
    'mercato_scoring_dropped_tickers_total',
    'Tickers of enriched articles given no scored record, by reason (invalid_ticker: no ticker under the contract)',
    ['reason'],
  ),
  batchArticles: histogram(
    'mercato_scoring_batch_articles',
    'Articles per consumed batch',
    [],
    [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
  ),
  inferenceSeconds: histogram(
    'mercato_scoring_inference_seconds',
    'Time of one classify call (labels, probabilities and top tokens of up to SENTIMENT_EXPLAIN_BATCH texts)',
    ['stage', 'path'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ),
  modelVersion: gauge(
    'mercato_scoring_model_version',
    'Version of the model being served (0: none loaded yet)',
    ['model'],
  ),
  swaps: counter('mercato_scoring_model_swaps_total', 'Models loaded and swapped in, by trigger', [
    'model',
    'trigger',
  ]),
  swapFailures: counter(
    'mercato_scoring_model_swap_failures_total',
    'Model versions refused (integrity, registry, invalid_model); the previous version keeps serving',
    ['model', 'reason'],
  ),
  waitingBatches: gauge(
    'mercato_scoring_batches_waiting_for_model',
    'Consumed batches held (uncommitted) until a production model exists',
    [],
  ),
  backend: gauge('mercato_scoring_tf_backend_info', 'The TensorFlow.js backend in use (value 1)', [
    'backend',
  ]),
};
