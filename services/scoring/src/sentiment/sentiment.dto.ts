// The sentiment HTTP API's request and response shapes (zod: validation and the OpenAPI document).
import { z } from '@mercato/config';
import { SENTIMENT_LABELS } from '@mercato/ml';

export const MAX_TEXTS = 100;
export const MAX_TEXT_CHARS = 5_000;

export const SentimentRequest = z.object({
  texts: z
    .array(
      z
        .string({ message: 'must be a string' })
        .min(1, { message: 'must not be empty', abort: true })
        .max(MAX_TEXT_CHARS, `must be at most ${MAX_TEXT_CHARS} characters`)
        .refine((s) => s.trim().length > 0, 'must not be blank'),
      { message: 'must be an array of strings' },
    )
    .min(1, 'must hold at least one text')
    .max(MAX_TEXTS, `must hold at most ${MAX_TEXTS} texts`),
});

const Probabilities = z.object({ negative: z.number(), neutral: z.number(), positive: z.number() });

export const SentimentResponse = z.object({
  model: z.object({ name: z.string(), version: z.number().int() }),
  results: z.array(
    z.object({
      label: z.enum(SENTIMENT_LABELS),
      probabilities: Probabilities,
      topTokens: z.array(z.object({ token: z.string(), weight: z.number() })),
    }),
  ),
});
export type SentimentResponse = z.infer<typeof SentimentResponse>;

export const CurrentModelsView = z.object({
  sentiment: z.object({
    name: z.string(),
    backend: z.string().nullable(),
    serving: z
      .object({
        version: z.number().int(),
        loadedAt: z.string(),
        trigger: z.enum(['startup', 'event', 'poll']),
      })
      .nullable(),
    lastRefused: z
      .object({
        version: z.number().int(),
        reason: z.enum(['integrity', 'registry', 'invalid_model']),
        error: z.string(),
        at: z.string(),
      })
      .nullable(),
  }),
});
export type CurrentModelsView = z.infer<typeof CurrentModelsView>;
