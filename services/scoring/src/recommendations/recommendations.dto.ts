// The recommendations request (path user id + query) and response, as zod schemas: one set of rules
// for HTTP and gRPC, and the OpenAPI document is built from them.
import { z } from '@mercato/config';
import { EXCLUDE_VALUES, type ExcludeValue } from './ranking';

// 100 characters at most: Fastify refuses longer path parameters itself (414).
export const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/;
export const CATEGORY = /^[A-Za-z0-9][A-Za-z0-9 &._/-]{0,63}$/;

export const RecommendationsQuery = z.object({
  userId: z.string().regex(USER_ID, 'must be 1 to 100 characters: letters, digits and . _ : @ - (not first)'),
  k: z.coerce
    .number({ message: 'must be an integer from 1 to 100' })
    .int('must be an integer from 1 to 100')
    .min(1, 'must be an integer from 1 to 100')
    .max(100, 'must be an integer from 1 to 100')
    .default(10),
  exclude: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z.enum(EXCLUDE_VALUES, {
          message: `each value must be one of ${EXCLUDE_VALUES.join(', ')}`,
        }),
      ),
    )
    .transform((values) => new Set<ExcludeValue>(values)),
  category: z
    .string()
    .regex(CATEGORY, 'must be 1 to 64 characters: letters, digits, space and & . _ / - (not first)')
    .optional(),
});
export type RecommendationsQuery = z.output<typeof RecommendationsQuery>;

export const RecommendationsView = z.object({
  items: z.array(
    z.object({
      itemId: z.string(),
      score: z.number(),
      reason: z.enum(['personalized', 'popular', 'similar_to_recent']),
    }),
  ),
  modelName: z.string(),
  /** null while the tenant has no production recommender loaded (popular items only). */
  modelVersion: z.number().int().nullable(),
  variant: z.enum(['production', 'staging']),
});
export type RecommendationsView = z.infer<typeof RecommendationsView>;
