// The scoring service's own variables, beyond the shared platform ones.
import { commaList, port, positiveInt, z } from '@mercato/config';
import { pseudonymizationEnv } from '@mercato/privacy';
import { modelVerifyEnv } from '@mercato/registry-client';
import type { PlatformConfig } from '@mercato/runtime';
import { MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '@mercato/contracts';
import { DEFAULT_RETRIEVAL_SETTINGS } from '@mercato/ml';

export const scoringEnv = {
  MODEL_REGISTRY_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .default('http://127.0.0.1:8084'),
  TF_BACKEND: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'cpu', 'wasm']).default('auto'),
  /** Trusted model signing keys (`<key id>.pem`): set, only versions signed by one of them load. */
  ...modelVerifyEnv,
  /** The registry model whose production version scores news. */
  SENTIMENT_MODEL_NAME: z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE).default('sentiment'),
  /** The fine-tuned transformer POST /v1/sentiment uses when asked for the teacher; empty: none. */
  SENTIMENT_TEACHER_MODEL_NAME: z
    .string()
    .refine((name) => name === '' || MODEL_NAME_PATTERN.test(name), `${MODEL_NAME_RULE}, or empty`)
    .default('sentiment-teacher'),
  /** Tenants' own sentiment models kept loaded at once (least recently used unloaded beyond). */
  SENTIMENT_TENANT_MODELS: z.coerce.number().int().min(0).default(16),
  /** How often the production alias is re-read, in case a lifecycle event was missed. */
  MODEL_POLL_INTERVAL_MS: positiveInt(30_000),
  /** Articles scored, then published, together (a consumed batch is cut into chunks of this many). */
  SENTIMENT_PREDICT_BATCH: z.coerce.number().int().min(1).max(256).default(256),
  /** Predictions per tenant and model version in one drift window (models.monitoring.v1). */
  SENTIMENT_DRIFT_WINDOW: positiveInt(500),
  /** A population stability index at or above this marks the model drifted (0.25: shifted). */
  DRIFT_PSI_THRESHOLD: z.coerce.number().positive().default(0.25),
  /**
   * The share of words (or word pieces) outside the model's vocabulary may rise this much over its
   * held-out evaluation's before the model counts as drifted (0.05: five more in every hundred).
   */
  DRIFT_UNKNOWN_RATE_MARGIN: z.coerce.number().positive().max(1, 'must be a share, at most 1').default(0.05),
  /**
   * Articles per classify call (one forward and one backward pass: labels, probabilities and top
   * tokens), with a yield between: the native binding blocks the event loop for the whole call.
   */
  SENTIMENT_EXPLAIN_BATCH: z.coerce.number().int().min(1).max(256).default(64),
  ...recommendationsEnv(),
};

/** Recommendations: feature service, gRPC listener, traffic split, online outcomes, automatic promotion and rollback. */
function recommendationsEnv() {
  const share = z.coerce.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
  return {
    ...pseudonymizationEnv,
    /** The feature service: popular/trending items for users without history. */
    FEATURE_URL: z
      .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
      .default('http://127.0.0.1:8082'),
    /** The gRPC (HTTP/2) listener of RecommendationService, on HTTP_HOST. */
    GRPC_PORT: port(9085),
    /** Tenants whose recommender is loaded at start-up (comma-separated; TENANT_ID is always one). */
    RECS_TENANTS: commaList(),
    /**
     * Tenant shards: the replicas split the tenants' recommendation state this many ways (1: every
     * replica holds every tenant). See tenant-shards.ts and docs/runbook.md, "Recommendation shards".
     */
    RECS_SHARDS: positiveInt(1),
    /**
     * This replica's shard, 0 to RECS_SHARDS-1: a number, or a name ending in `-<n>` such as a
     * StatefulSet pod's (`mercato-scoring-2` is shard 2).
     */
    RECS_SHARD: z
      .string()
      .default('0')
      .refine((s) => /^(\d+|.*-\d+)$/.test(s), 'expected a number or a name ending in -<number>')
      .transform((s) => Number(/(\d+)$/.exec(s)?.[1])),
    /** The shards' HTTP base URLs in shard order (comma-separated): where other tenants' requests go. */
    RECS_SHARD_URLS: commaList().pipe(
      z.array(z.url({ protocol: /^https?$/, message: 'expected http(s) URLs' })),
    ),
    /** Share of users (sticky, by pseudonym) answered by the `staging` version: an A/B test. */
    RECS_STAGING_SHARE: share.default(0),
    /**
     * Share of requests also run on the `shadow` version, compared in metrics and online outcomes,
     * never returned. Mirroring runs only while a shadow version is loaded (a retrained challenger
     * waiting for its online comparison).
     */
    RECS_SHADOW_SHARE: share.default(0.25),
    /** Answers kept for repeated requests (each is used only while its inputs are unchanged); 0: none. */
    RECS_CACHE_SIZE: z.coerce.number().int().min(0).default(100_000),
    /** How often popular/trending items are fetched from the feature service. */
    RECS_POPULAR_POLL_MS: positiveInt(15_000),
    /** A freshly swapped-in version is rolled back when its error rate exceeds this... */
    RECS_ROLLBACK_ERROR_RATE: share.default(0.05),
    /** ...over at least this many requests... */
    RECS_ROLLBACK_MIN_REQUESTS: positiveInt(20),
    /** ...within this long after the swap. */
    RECS_ROLLBACK_WINDOW_MS: positiveInt(120_000),
    /**
     * Online outcomes: an engagement (click, cart, purchase, rating) by the user with an item of an
     * answer within this long after it makes the answer a hit (see outcomes.ts).
     */
    RECS_OUTCOME_WINDOW_MS: positiveInt(1_800_000),
    /** Answers remembered for their outcome at once; beyond, the oldest is resolved early. */
    RECS_OUTCOME_MAX_PENDING: positiveInt(200_000),
    /** How often outcomes are resolved, published on models.monitoring.v1 and judged. */
    RECS_MONITORING_INTERVAL_MS: positiveInt(60_000),
    /** A shadow version is judged once this many mirrored answers are resolved... */
    RECS_SHADOW_MIN_ANSWERS: positiveInt(200),
    /** ...and promoted when its hit rate is at least production's on them minus this; else rejected. */
    RECS_SHADOW_MARGIN: share.default(0),
    /**
     * A new production version whose hit rate, over at least RECS_ROLLBACK_MIN_ANSWERS answers, is
     * below its predecessor's by more than this is rolled back...
     */
    RECS_ROLLBACK_HIT_RATE_MARGIN: share.default(0.02),
    RECS_ROLLBACK_MIN_ANSWERS: positiveInt(200),
    /** ...while it is within this long of its swap (the predecessor stays loaded until then). */
    RECS_ROLLBACK_ONLINE_WINDOW_MS: positiveInt(21_600_000),
    /** Catalogs with fewer items are ranked by the exhaustive scan; larger ones through an IVF index. */
    RECS_EXACT_BELOW: z.coerce.number().int().min(0).default(DEFAULT_RETRIEVAL_SETTINGS.exactBelow),
    /** Index cells; 0: the square root of the catalog size. */
    RECS_INDEX_LISTS: z.coerce.number().int().min(0).default(DEFAULT_RETRIEVAL_SETTINGS.lists),
    /**
     * Cells read per request (more for a category): the recall/latency trade-off. 0: chosen when the
     * index is built, the smallest reaching RECS_INDEX_TARGET_RECALL on queries like the traffic's.
     */
    RECS_INDEX_PROBE: z.coerce.number().int().min(0).default(DEFAULT_RETRIEVAL_SETTINGS.probe),
    /** The recall@10 against the exhaustive scan a chosen probe reaches (RECS_INDEX_PROBE 0). */
    RECS_INDEX_TARGET_RECALL: z.coerce
      .number()
      .gt(0, 'must be above 0')
      .max(1, 'must be at most 1')
      .default(DEFAULT_RETRIEVAL_SETTINGS.targetRecall),
    /** Candidates (from the 8-bit codes) scored exactly at the end of an index query. */
    RECS_INDEX_RERANK: positiveInt(DEFAULT_RETRIEVAL_SETTINGS.rerank),
    /** A version whose index recalls less of the exhaustive top 10 on its warm-up queries is refused. */
    RECS_INDEX_MIN_RECALL: share.default(0.9),
  };
}

export type ScoringConfig = PlatformConfig & z.infer<z.ZodObject<typeof scoringEnv>>;
