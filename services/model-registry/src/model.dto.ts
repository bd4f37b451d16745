// Request schemas (zod) for models and the path parameters every route shares, with their OpenAPI
// form derived from the same schemas.
import { z } from '@mercato/config';
import { METRIC_NAME } from './promotion-policy';

export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const MODEL_KINDS = ['sentiment', 'recommender'] as const;
export type ModelKindName = (typeof MODEL_KINDS)[number];
export const ALIASES = ['production', 'staging', 'shadow'] as const;
export type AliasName = (typeof ALIASES)[number];

export const ModelName = z
  .string()
  .regex(
    MODEL_NAME,
    'must be 1-63 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit (^[a-z0-9][a-z0-9-_.]{0,62}$)',
  );

export const VersionNumber = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive integer version number')
  .transform(Number)
  .pipe(z.number().max(2_147_483_647, 'is too large'));

export const AliasParam = z.enum(ALIASES, { message: `must be one of ${ALIASES.join(', ')}` });

export const Metrics = z.record(
  z.string().regex(METRIC_NAME, 'metric names are 1-64 characters: a letter, then letters, digits, _ . @ -'),
  z.number({ message: 'metric values must be finite numbers' }),
);

export const CreateModelBody = z.object({
  name: ModelName,
  kind: z.enum(MODEL_KINDS, { message: `must be one of ${MODEL_KINDS.join(', ')}` }),
  description: z.string().max(2_000).default(''),
});
export type CreateModelInput = z.output<typeof CreateModelBody>;

export const Paging = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const ListModelsQuery = Paging.extend({
  kind: z.enum(MODEL_KINDS, { message: `must be one of ${MODEL_KINDS.join(', ')}` }).optional(),
});
