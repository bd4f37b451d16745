// OpenAPI decorators built from the zod schemas that validate requests, so the published document
// cannot drift from what the code accepts. Limits that come from the environment are documented
// with their defaults and the variable's name.
import { z } from '@mercato/config';
import { ErrorResponses, JsonResponse } from '@mercato/runtime';
import { applyDecorators } from '@nestjs/common';
import { catalogItemSchema } from './catalog-item.dto';
import { interactionSchema } from './interaction.dto';
import { newsArticleSchema } from './news-article.dto';

const DOC_LIMITS = { maxBodyChars: 100_000, maxFutureSkewS: 300, now: () => new Date() };
const DEFAULT_MAX_BATCH = 1000;

const envelope = (field: string, record: z.ZodType, what: string): z.ZodType =>
  z.strictObject({
    [field]: z
      .array(record)
      .min(1)
      .max(DEFAULT_MAX_BATCH)
      .describe(`1 to INGEST_MAX_BATCH (default ${DEFAULT_MAX_BATCH}) ${what}; each is validated on its own`),
  });

export const NewsBatchDoc = envelope('articles', newsArticleSchema(DOC_LIMITS), 'articles');
export const InteractionsBatchDoc = envelope('interactions', interactionSchema(DOC_LIMITS), 'interactions');
export const CatalogBatchDoc = envelope('items', catalogItemSchema(DOC_LIMITS), 'catalog items');

const FieldIssue = z.object({ field: z.string(), reason: z.string() });

export const BatchResultDoc = z.object({
  accepted: z.number().int().describe('records published now'),
  duplicate: z
    .number()
    .int()
    .describe('records already received (not published again; safe to treat as stored)'),
  rejected: z.number().int().describe('records that failed validation (not published)'),
  results: z
    .array(
      z.object({
        index: z.number().int().describe('position in the request'),
        id: z
          .string()
          .nullable()
          .describe('article id, interaction event id or item id; null when it could not be read'),
        status: z.enum(['accepted', 'duplicate', 'rejected']),
        reason: z.string().optional().describe('for duplicates: which key matched'),
        errors: z.array(FieldIssue).optional().describe('for rejected records: every problem, by field'),
      }),
    )
    .describe('one per record, in request order'),
});

export const BatchResponses = (): MethodDecorator =>
  applyDecorators(
    JsonResponse(
      202,
      'the batch was handled: per-record results (published before this answer)',
      BatchResultDoc,
    ),
    ErrorResponses(
      [400, 'malformed JSON, invalid UTF-8, or not an object holding a non-empty array of records'],
      [413, 'more records than INGEST_MAX_BATCH, or a body over INGEST_MAX_REQUEST_BYTES (5 MiB by default)'],
      [415, 'not application/json in UTF-8'],
      [503, 'the batch could not be stored (broker or database unavailable): nothing was accepted; retry'],
    ),
  );
