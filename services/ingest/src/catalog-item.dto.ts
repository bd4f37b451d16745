// The catalog item a retail backend sends to PUT /v1/catalog/items (the item's full current state),
// validated one record at a time.
import { z } from '@mercato/config';
import { text, timestamp, type TimestampOptions } from './record-validation';

export function catalogItemSchema(limits: TimestampOptions) {
  return z.strictObject({
    item_id: text({ min: 1, max: 200, identifier: true }).describe('1–200 characters'),
    title: text({ min: 1, max: 500, nonBlank: true }).describe('1–500 characters'),
    description: text({ max: 5000 }).default('').describe('at most 5000 characters'),
    categories: z
      .array(text({ min: 1, max: 100 }), { error: 'expected an array of strings' })
      .max(20, 'at most 20 categories')
      .default([])
      .describe('at most 20 categories of 1–100 characters'),
    price: z
      .number({ error: 'expected a number' })
      .refine(Number.isFinite, 'must be a finite number')
      .refine((p) => p >= 0, 'must not be negative')
      .describe('≥ 0'),
    available: z.boolean({ error: 'expected true or false' }).default(true).describe('default true'),
    updated_at: timestamp(limits)
      .optional()
      .describe('when the item changed (ISO-8601 with a time zone); default: when it was received'),
  });
}

export type CatalogItemInput = z.output<ReturnType<typeof catalogItemSchema>>;
