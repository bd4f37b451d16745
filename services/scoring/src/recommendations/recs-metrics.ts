// The recommendation part's Prometheus metrics: per variant (production, staging) for the A/B split,
// shadow comparisons, online outcomes (hits, coverage, popularity bias) and the decisions taken on
// them, model swaps, refusals and rollbacks, and the in-memory state's size.
import { counter, gauge, histogram } from '@mercato/telemetry';

export const recsMetrics = {
  requests: counter(
    'mercato_recs_requests_total',
    'Recommendation requests answered, by variant, transport and the reason of the first item',
    ['variant', 'transport', 'reason'],
  ),
  latency: histogram(
    'mercato_recs_request_seconds',
    'Time to rank one request (in-process, transport excluded), by variant',
    ['variant'],
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  ),
  errors: counter('mercato_recs_errors_total', 'Requests whose ranking failed, by variant', ['variant']),
  cacheLookups: counter(
    'mercato_recs_cache_lookups_total',
    'Answer cache lookups by outcome (hit, miss): a hit had the same model, user features and catalog',
    ['outcome'],
  ),
  emptyResults: counter(
    'mercato_recs_empty_results_total',
    'Requests answered with no items (nothing available passes the filters), by variant',
    ['variant'],
  ),
  shadowRequests: counter(
    'mercato_recs_shadow_requests_total',
    'Requests mirrored to the shadow version, by outcome (ok, error)',
    ['outcome'],
  ),
  shadowOverlap: histogram(
    'mercato_recs_shadow_overlap_ratio',
    'Share of the served top-K that the shadow version also returned',
    [],
    [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
  ),
  shadowLatency: histogram(
    'mercato_recs_shadow_request_seconds',
    'Time to rank a mirrored request on the shadow version',
    [],
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  ),
  outcomeAnswers: counter(
    'mercato_recs_outcome_answers_total',
    'Answers whose outcome window (RECS_OUTCOME_WINDOW_MS) has passed, per tenant, alias (shadow: what it would have served; shadow_baseline: production on the same requests) and version',
    ['tenant', 'alias', 'version'],
  ),
  outcomeHits: counter(
    'mercato_recs_outcome_hits_total',
    'Resolved answers followed by an engagement with one of their items (outcome=hit: click, cart, purchase or rating; outcome=purchase: a purchase)',
    ['tenant', 'alias', 'version', 'outcome'],
  ),
  hitRate: gauge(
    'mercato_recs_hit_rate',
    'Share of the answers resolved in the last monitoring window that were hits (click/purchase-through)',
    ['tenant', 'alias', 'version'],
  ),
  coverage: gauge(
    'mercato_recs_coverage_ratio',
    'Share of the catalogue served over the last monitoring window',
    ['tenant', 'alias', 'version'],
  ),
  popularityPercentile: gauge(
    'mercato_recs_popularity_percentile',
    'Mean popularity percentile of the items served over the last monitoring window (the catalogue: 0.5)',
    ['tenant', 'alias', 'version'],
  ),
  onlineDecisions: counter(
    'mercato_recs_online_decisions_total',
    'Decisions on online outcomes: a shadow version promoted or rejected, a production version rolled back or kept (or its comparison ended without one)',
    ['decision'],
  ),
  modelVersion: gauge(
    'mercato_recs_model_version',
    'Recommender version served per tenant and alias (0: none)',
    ['tenant', 'alias'],
  ),
  swaps: counter('mercato_recs_model_swaps_total', 'Recommender versions swapped in', ['alias', 'trigger']),
  swapFailures: counter(
    'mercato_recs_model_swap_failures_total',
    'Recommender versions refused at load (integrity, registry, invalid_model); the serving one stays',
    ['alias', 'reason'],
  ),
  rollbacks: counter(
    'mercato_recs_model_rollbacks_total',
    'Production versions swapped back out (reason: request_errors, online_hit_rate)',
    ['alias', 'reason'],
  ),
  indexBuildSeconds: histogram(
    'mercato_recs_index_build_seconds',
    'Building the top-K index of a loaded version (kind: ivf, or exact below RECS_EXACT_BELOW items)',
    ['alias', 'kind'],
    [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
  ),
  indexRecall: gauge(
    'mercato_recs_index_recall',
    "Recall@10 of the served version's top-K against the exhaustive scan, on its warm-up queries",
    ['tenant', 'alias'],
  ),
  indexProbe: gauge(
    'mercato_recs_index_probe',
    "Cells the served version's IVF index reads per query (0: the exhaustive scan)",
    ['tenant', 'alias'],
  ),
  indexProbeRecall: gauge(
    'mercato_recs_index_probe_recall',
    "Recall@10 against the exhaustive scan on the queries the served version's probe was chosen on",
    ['tenant', 'alias'],
  ),
  modelBytes: gauge(
    'mercato_recs_model_bytes',
    'Memory of the served version at its swap: its item vectors (part=items) and its top-K index (part=index)',
    ['tenant', 'alias', 'part'],
  ),
  loadSeconds: histogram(
    'mercato_recs_model_load_seconds',
    'Download, unpack and warm-up of a recommender version',
    ['alias'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ),
  stateRecords: counter(
    'mercato_recs_state_records_total',
    'Records applied to the in-memory state, by topic',
    ['topic'],
  ),
  stateTenants: gauge(
    'mercato_recs_state_tenants',
    'Tenants whose users and catalog this replica holds (its shard of them when RECS_SHARDS > 1)',
  ),
  popularRefreshes: counter(
    'mercato_recs_popular_refreshes_total',
    'Polls of the feature service for popular/trending items, by outcome',
    ['outcome'],
  ),
};
