// The body of POST /v1/sentiment/feedback and its answer. Labels are the sentiment models' classes
// (SENTIMENT_LABELS): every sentiment version shares them, so a label outside them is a 400.
import { z } from '@mercato/config';
import { SENTIMENT_LABELS } from '@mercato/ml';

export const FeedbackBody = z
  .object({
    articleId: z.string().trim().min(1).max(256).optional(),
    text: z.string().trim().min(1).max(20_000).optional(),
    label: z.enum(SENTIMENT_LABELS, { error: `expected one of ${SENTIMENT_LABELS.join(', ')}` }),
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
  submittedBy: z.string(),
  submittedAt: z.string(),
});
