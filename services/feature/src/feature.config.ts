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
};

export type FeatureConfig = PlatformConfig & z.infer<z.ZodObject<typeof featureEnv>>;
