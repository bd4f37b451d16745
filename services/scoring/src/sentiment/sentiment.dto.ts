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
  /** `default`: the fast production model that scores the stream; `teacher`: the fine-tuned transformer. */
  model: z.enum(['default', 'teacher'], { message: 'must be default or teacher' }).default('default'),
});

const Probabilities = z.object({ negative: z.number(), neutral: z.number(), positive: z.number() });

export const SentimentResponse = z.object({
  model: z.object({
    name: z.string(),
    version: z.number().int(),
    /** `platform`: the platform's default model; `tenant`: the caller's tenant's own. */
    owner: z.enum(['platform', 'tenant']),
    architecture: z.enum(['cnn', 'student', 'transformer']),
  }),
  results: z.array(
    z.object({
      label: z.enum(SENTIMENT_LABELS),
      probabilities: Probabilities,
      topTokens: z.array(z.object({ token: z.string(), weight: z.number() })),
    }),
  ),
});
export type SentimentResponse = z.infer<typeof SentimentResponse>;

const TrackView = z.object({
  owner: z.string(),
  name: z.string(),
  serving: z
    .object({
      version: z.number().int(),
      loadedAt: z.string(),
      trigger: z.enum(['startup', 'event', 'poll']),
      architecture: z.string(),
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
});

export const CurrentModelsView = z.object({
  sentiment: z.object({ backend: z.string().nullable(), models: z.array(TrackView) }),
});
export type CurrentModelsView = z.infer<typeof CurrentModelsView>;
