// The article a news client sends to POST /v1/news, validated one record at a time.
import { z } from '@mercato/config';
import { TICKER_RULE, normalizeTicker } from '@mercato/contracts';
import { text, timestamp, type TimestampOptions } from './record-validation';

export const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;

export interface NewsLimits extends TimestampOptions {
  maxBodyChars: number;
}

export function newsArticleSchema(limits: NewsLimits) {
  return z.strictObject({
    id: text({ min: 1, max: 200, identifier: true }).describe(
      'the article id at its source (1–200 characters)',
    ),
    source: text({ min: 1, max: 100, identifier: true }).describe('the feed or publisher (1–100 characters)'),
    published_at: timestamp(limits).describe(
      'ISO-8601 with a time zone; not before 1990, not more than INGEST_MAX_FUTURE_SKEW_S in the future',
    ),
    headline: text({ min: 1, max: 1000, nonBlank: true }).describe('1–1000 characters'),
    body: text({ max: limits.maxBodyChars }).optional().describe('at most INGEST_MAX_BODY_CHARS characters'),
    tickers: z
      .array(
        // The ticker contract every service shares: what is accepted here is kept downstream.
        z.string({ error: 'expected a string' }).transform((raw, ctx) => {
          const ticker = normalizeTicker(raw);
          if (ticker === undefined) {
            ctx.addIssue({ code: 'custom', message: TICKER_RULE });
            return z.NEVER;
          }
          return ticker;
        }),
        { error: 'expected an array of ticker strings' },
      )
      .max(50, 'at most 50 tickers')
      // Repeats carry no information and would count the article twice for one ticker downstream.
      .transform((tickers) => [...new Set(tickers)])
      .optional()
      .describe(
        'at most 50 ticker symbols such as TSLA, BRK.B, VOD.L, 7203.T or NOVO-B.CO ($tsla, NASDAQ:TSLA and brk/b are read as TSLA and BRK.B)',
      ),
    language: z
      .string({ error: 'expected a string' })
      .regex(LANGUAGE, 'expected a BCP-47 language tag such as en or en-US')
      .optional()
      .describe('BCP-47 language tag, e.g. en, de-CH'),
  });
}

export type NewsArticleInput = z.output<ReturnType<typeof newsArticleSchema>>;
