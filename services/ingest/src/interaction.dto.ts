// The user interaction a retail backend sends to POST /v1/interactions, validated one record at a time.
import { z } from '@mercato/config';
import { text, timestamp, type TimestampOptions } from './record-validation';

export const INTERACTION_TYPES = ['view', 'click', 'cart', 'purchase', 'rating'] as const;
export type InteractionTypeName = (typeof INTERACTION_TYPES)[number];

export function interactionSchema(limits: TimestampOptions) {
  return z
    .strictObject({
      user_id: text({ min: 1, max: 200, identifier: true }).describe(
        'your user id (1–200 characters); pseudonymized here, never stored or forwarded as sent',
      ),
      item_id: text({ min: 1, max: 200, identifier: true }).describe('1–200 characters'),
      type: z.enum(INTERACTION_TYPES, { error: `must be one of ${INTERACTION_TYPES.join(', ')}` }),
      value: z
        .number({ error: 'expected a number' })
        .refine(Number.isFinite, 'must be a finite number')
        .optional()
        .describe('the rating (0.5–5, required for type rating); other types: a weight ≥ 0, default 1'),
      timestamp: timestamp(limits).describe(
        'when it happened: ISO-8601 with a time zone; not before 1990, not in the future',
      ),
    })
    .superRefine((r, ctx) => {
      if (r.type === 'rating') {
        if (r.value === undefined)
          ctx.addIssue({ code: 'custom', path: ['value'], message: 'is required for type rating' });
        else if (r.value < 0.5 || r.value > 5)
          ctx.addIssue({ code: 'custom', path: ['value'], message: 'a rating must be between 0.5 and 5' });
      } else if (r.value !== undefined && r.value < 0) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'must not be negative' });
      }
    })
    .transform((r) => ({ ...r, value: r.value ?? 1 }));
}

export type InteractionInput = z.output<ReturnType<typeof interactionSchema>>;
