// The feature service's own variables, beyond the shared ones, validated once at start-up.
import { positiveInt, z } from '@mercato/config';
import type { PlatformConfig } from '@mercato/runtime';
import { parseTickerDictionary } from './news/ticker-dictionary';

export const featureEnv = {
  /**
   * The company-name dictionary as JSON `{ "TSLA": ["Tesla", "Tesla Inc"], … }`; usually given as a
   * file with TICKER_DICTIONARY_FILE. Unset: the shipped services/feature/ticker-dictionary.json.
   */
  TICKER_DICTIONARY: z
    .string()
    .optional()
    .transform((json, ctx) => {
      if (json === undefined || json.trim() === '') return undefined;
      try {
        return parseTickerDictionary(json);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * Daily partitions of the article log are created for published_at from this many days ago up to
   * two days ahead; older or later articles go to the default partition.
   */
  ARTICLE_PARTITION_PAST_DAYS: positiveInt(1095),
  /** Distinct items kept per user in the online store's recent-items list (most recent first). */
  RECENT_ITEMS_MAX: positiveInt(50),
  /** Half-life of the `popular` item score: an interaction counts half as much this many hours later. */
  POPULAR_HALF_LIFE_HOURS: z.coerce.number().positive().default(168),
  /** Half-life of the `trending` item score. */
  TRENDING_HALF_LIFE_HOURS: z.coerce.number().positive().default(6),
  /** The feedback disagreement rate is over each tenant's latest this many corrections that say what the model had said. */
  FEEDBACK_DISAGREEMENT_WINDOW: positiveInt(50),
  /** A full window's disagreement rate at or above this marks the model drifted (models.monitoring.v1). */
  FEEDBACK_DISAGREEMENT_THRESHOLD: z.coerce
    .number()
    .positive()
    .max(1, 'must be a share, at most 1')
    .default(0.3),
};

export type FeatureConfig = PlatformConfig & z.infer<z.ZodObject<typeof featureEnv>>;
