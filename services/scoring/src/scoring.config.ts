// The scoring service's own variables, beyond the shared platform ones.
import { positiveInt, z } from '@mercato/config';
import type { PlatformConfig } from '@mercato/runtime';

const MODEL_NAME = /^[a-z0-9][a-z0-9-_.]{0,62}$/;

export const scoringEnv = {
  MODEL_REGISTRY_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .default('http://127.0.0.1:8084'),
  TF_BACKEND: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'cpu', 'wasm']).default('auto'),
  /** The registry model whose production version scores news. */
  SENTIMENT_MODEL_NAME: z
    .string()
    .regex(MODEL_NAME, 'must be a model name (a-z, 0-9, - _ .)')
    .default('sentiment'),
  /** How often the production alias is re-read, in case a lifecycle event was missed. */
  MODEL_POLL_INTERVAL_MS: positiveInt(30_000),
  /** Articles per predict call: the native binding blocks the event loop for the whole call. */
  SENTIMENT_PREDICT_BATCH: z.coerce.number().int().min(1).max(256).default(256),
  /** Articles per explain call (occlusion costs one forward pass per token), with a yield between. */
  SENTIMENT_EXPLAIN_BATCH: z.coerce.number().int().min(1).max(256).default(16),
};

export type ScoringConfig = PlatformConfig & z.infer<z.ZodObject<typeof scoringEnv>>;
