// The body of POST /v1/sentiment/feedback and its answer. Labels are the sentiment models' classes
// (SENTIMENT_LABELS): every sentiment version shares them, so a label outside them is a 400.
// `served`, when given, is what the model had said of the text (label and the version that gave
// it): the feedback disagreement rate is measured on these.
import { z } from '@mercato/config';
import { SENTIMENT_LABELS } from '@mercato/ml';

export const FeedbackBody = z
  .object({
    articleId: z.string().trim().min(1).max(256).optional(),
    text: z.string().trim().min(1).max(20_000).optional(),
    label: z.enum(SENTIMENT_LABELS, { error: `expected one of ${SENTIMENT_LABELS.join(', ')}` }),
    served: z
      .object({
        label: z.enum(SENTIMENT_LABELS, { error: `expected one of ${SENTIMENT_LABELS.join(', ')}` }),
        model: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected a model name'),
        version: z.number().int().positive(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((b) => (b.articleId === undefined) !== (b.text === undefined), {
    path: ['articleId'],
    message: 'give either articleId (an article of your tenant) or text, not both',
  });

export type FeedbackBody = z.output<typeof FeedbackBody>;

export const FeedbackView = z.object({
  feedbackId: z.string(),
  articleId: z.string().nullable(),
  text: z.string(),
  label: z.enum(SENTIMENT_LABELS),
  served: z
    .object({ label: z.enum(SENTIMENT_LABELS), model: z.string(), version: z.number().int() })
    .nullable(),
  submittedBy: z.string(),
  submittedAt: z.string(),
});
