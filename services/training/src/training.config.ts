// The training service's own variables, beyond the shared ones.
import { booleanString, positiveInt, z } from '@mercato/config';
import { modelSigningEnv } from '@mercato/registry-client';
import type { PlatformConfig } from '@mercato/runtime';
import { readFileSync } from 'node:fs';

const nonNegativeInt = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

export const trainingEnv = {
  MODEL_REGISTRY_URL: z.url().default('http://127.0.0.1:8084'),
  /** The Ed25519 key each registered version is signed with (PEM, or _FILE), and its key id. */
  ...modelSigningEnv,
  TF_BACKEND: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'cpu', 'wasm']).default('auto'),
  /** The feature service: `feature:` datasets are its point-in-time exports. */
  FEATURE_URL: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL' })
    .default('http://127.0.0.1:8082'),
  /** Service-to-service key sent to the feature service as a bearer token, when set... */
  MERCATO_SERVICE_API_KEY: z.string().min(1).optional(),
  /** ...or read from this file (a mounted Secret) at start-up. */
  MERCATO_SERVICE_API_KEY_FILE: z
    .string()
    .min(1)
    .optional()
    .transform((path, ctx) => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8').trim();
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${(err as Error).message}` });
        return z.NEVER;
      }
    }),
  /**
   * Where each run's TensorBoard event files go, live (`<dir>/<tenant>/<model>/<run id>`); unset:
   * none (`mercato runs tensorboard` writes them from the stored series instead).
   */
  TENSORBOARD_LOGDIR: z.string().min(1).optional(),
  /**
   * Each analyst correction (the feature service's sentiment feedback of the request's tenant) joins
   * a sentiment fine-tune's training part this many times, replacing examples of the same text; 0 =
   * feedback is not joined.
   */
  SENTIMENT_FEEDBACK_WEIGHT: nonNegativeInt(3),
  /**
   * Retrain a sentiment model whose production version drifted (models.monitoring.v1, from scoring)
   * on that version's recipe, promoted if better; once per production version.
   */
  RETRAIN_ON_DRIFT: booleanString(false),
  /**
   * Retrain a tenant's sentiment model, the same way, once its analysts have corrected this many
   * texts its production version has not seen (the feature service's count, on its
   * models.monitoring.v1 events); 0 = off.
   */
  RETRAIN_AFTER_FEEDBACK: nonNegativeInt(0),
  /** Tenants whose recommenders the triggers retrain (comma-separated); empty = every tenant. */
  RECOMMENDER_RETRAIN_TENANTS: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  /** Retrain each tenant's recommender this often (seconds) when it has new interactions; 0 = off. */
  RECOMMENDER_RETRAIN_INTERVAL_S: nonNegativeInt(0),
  /** Retrain a tenant's recommender after this many new interactions; 0 = off. */
  RECOMMENDER_RETRAIN_AFTER_INTERACTIONS: nonNegativeInt(0),
  /**
   * Retraining holds out the interactions of this last window (split_at = as_of − window) and
   * evaluates on them: a time-based split, so nothing from the future leaks into training.
   */
  RECOMMENDER_RETRAIN_HOLDOUT_S: positiveInt(86_400),
  /**
   * Where a recommender promoted if better goes once the model has a production version: `shadow`
   * (served in shadow; scoring compares it online and promotes or rejects it) or `production` (at
   * once). The policy of sentiment models is always production.
   */
  RECOMMENDER_PROMOTE_TO: z.enum(['shadow', 'production']).default('shadow'),
};

export type TrainingConfig = PlatformConfig & z.infer<z.ZodObject<typeof trainingEnv>>;

/** The key for service-to-service calls: the variable, else the file's content. */
export const serviceApiKey = (config: TrainingConfig): string | undefined =>
  config.MERCATO_SERVICE_API_KEY ?? config.MERCATO_SERVICE_API_KEY_FILE;

export const retrainEnabled = (config: TrainingConfig): boolean =>
  config.RECOMMENDER_RETRAIN_INTERVAL_S > 0 || config.RECOMMENDER_RETRAIN_AFTER_INTERACTIONS > 0;
