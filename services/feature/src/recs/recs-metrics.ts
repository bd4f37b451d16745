// The recs path's own Prometheus metrics (the transport already counts records and times handlers).
// Rates (records/s) are rate() of the counters.
import { counter, gauge, histogram } from '@mercato/telemetry';

export const recsMetrics = {
  interactions: counter(
    'mercato_feature_interactions_total',
    'Interactions handled: stored for the first time (stored), or skipped (already stored, or of a user deleted after it was received)',
    ['result'],
  ),
  catalogVersions: counter(
    'mercato_feature_catalog_versions_total',
    'Catalog item versions handled: new to the offline store (stored) or already stored (duplicate)',
    ['result'],
  ),
  userFeaturesPublished: counter(
    'mercato_feature_user_features_published_total',
    'UserFeatures records published on features.user.v1, by why (interactions, deletion)',
    ['reason'],
  ),
  lag: histogram(
    'mercato_feature_interaction_to_features_seconds',
    'From an interaction reaching interactions.raw.v1 (its broker timestamp) to its user’s features being published',
    [],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  ),
  storeRows: gauge(
    'mercato_feature_store_rows',
    'Rows per recs feature-store table (Postgres planner estimate, refreshed every 30 s)',
    ['table'],
  ),
  exportedRows: counter('mercato_feature_dataset_rows_total', 'Rows streamed by dataset exports', [
    'dataset',
  ]),
};
