// Request schemas (zod) for models and the path parameters every route shares, with their OpenAPI
// form derived from the same schemas.
import { z } from '@mercato/config';
import { MODEL_ALIASES, MODEL_KINDS, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '@mercato/contracts';
import { METRIC_NAME } from './promotion-policy';

// Names, kinds and aliases are the registry contract of @mercato/contracts, shared with the clients.

export const ModelName = z.string().regex(MODEL_NAME_PATTERN, MODEL_NAME_RULE);

export const VersionNumber = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive integer version number')
  .transform(Number)
  .pipe(z.number().max(2_147_483_647, 'is too large'));

export const AliasParam = z.enum(MODEL_ALIASES, { message: `must be one of ${MODEL_ALIASES.join(', ')}` });

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
