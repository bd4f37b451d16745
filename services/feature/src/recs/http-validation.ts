// The recs HTTP API's request schemas (zod), for the validation pipe of @mercato/runtime.
import { z } from '@mercato/config';

const Instant = z.iso
  .datetime({
    offset: true,
    message: 'must be an ISO 8601 date-time with an offset, e.g. 2026-03-02T10:00:00Z',
  })
  .transform((s) => new Date(s));

/**
 * Pseudonymous user ids are 64-character hex HMACs; anything URL-safe up to 100 characters (the
 * HTTP server's longest path parameter; a longer one is answered 414) is accepted.
 */
export const UserId = z.string().regex(/^[A-Za-z0-9._~:-]{1,100}$/, 'must be 1-100 URL-safe characters');

export const InteractionsDatasetQuery = z.strictObject({
  as_of: Instant.optional(),
  split_at: Instant.optional(),
});

export const AsOfDatasetQuery = z.strictObject({ as_of: Instant.optional() });

export const PopularQuery = z.strictObject({
  kind: z.enum(['popular', 'trending']).default('popular'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  category: z.string().min(1).max(200).optional(),
});
