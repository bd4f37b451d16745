// What the HTTP API accepts, as zod schemas (the OpenAPI document is built from them too). Window
// sizes are checked against the configured ones; "60m" and "1h" name the same window.
import { z } from '@mercato/config';
import { TICKER_RULE, normalizeTicker } from '@mercato/contracts';
import { DIRECTIONS, SEVERITIES } from './alert-rules';
import { formatDuration, parseDuration } from './durations';

/** A ticker of the platform's contract, in any spelling ingest takes (tsla, $TSLA → TSLA). */
export const Ticker = z.string().transform((raw, ctx) => {
  const ticker = normalizeTicker(raw);
  if (ticker === undefined) {
    ctx.addIssue({ code: 'custom', message: TICKER_RULE });
    return z.NEVER;
  }
  return ticker;
});
const Instant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-03-02T10:00:00Z' })
  .transform((s) => Date.parse(s));
const limit = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const windowParam = (sizes: readonly string[]) =>
  z
    .string()
    .default(sizes[0] as string)
    .transform((text, ctx) => {
      let label: string;
      try {
        label = formatDuration(parseDuration(text));
      } catch {
        label = text;
      }
      if (!sizes.includes(label)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be one of the configured windows: ${sizes.join(', ')}`,
        });
        return z.NEVER;
      }
      return label;
    });

const ordered = (q: { from?: number; to?: number }): boolean =>
  q.from === undefined || q.to === undefined || q.from < q.to;

export const seriesQuery = (sizes: readonly string[]) =>
  z
    .object({
      window: windowParam(sizes),
      from: Instant.optional(),
      to: Instant.optional(),
      limit: limit(288, 5_000).describe('most windows returned (the latest ones)'),
    })
    .refine(ordered, { message: 'must be after from', path: ['to'] });

export const rankingQuery = (sizes: readonly string[]) =>
  z.object({ window: windowParam(sizes), limit: limit(50, 1_000) });

export const AlertsQuery = z
  .object({
    ticker: Ticker.optional(),
    direction: z.enum(DIRECTIONS).optional(),
    from: Instant.optional().describe('alerts whose window ends after this'),
    to: Instant.optional().describe('alerts whose window starts before this'),
    limit: limit(100, 1_000),
  })
  .refine(ordered, { message: 'must be after from', path: ['to'] });

export const StreamQuery = z.object({
  ticker: Ticker.optional(),
  lastEventId: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe('for clients that cannot send the Last-Event-ID header'),
});

export const LastEventId = z.coerce.number().int().min(0);

export const Id = z.uuid({ message: 'must be a UUID' });

export const CreateWebhookBody = z
  .object({
    url: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2_000)
      .describe('receives a signed POST per alert'),
    tickers: z.array(Ticker).max(1_000).default([]).describe('only these tickers (empty: every ticker)'),
    directions: z.array(z.enum(DIRECTIONS)).min(1).default(['negative', 'positive']),
    minSeverity: z.enum(SEVERITIES).default('low'),
    description: z.string().max(500).default(''),
  })
  .strict();
export type CreateWebhookBody = z.output<typeof CreateWebhookBody>;

/**
 * A label correction from an alert's evidence. The label is the feature service's to check (the
 * model's classes): it is passed on as given, and a label outside them is that service's 400.
 */
export const EvidenceFeedbackBody = z
  .object({
    articleId: z.string().trim().min(1).max(256),
    label: z.string().max(64),
  })
  .strict();
