// The company-name dictionary: `{ "TSLA": ["Tesla", "Tesla Inc"], … }`, from TICKER_DICTIONARY
// (inline JSON, or a file named by TICKER_DICTIONARY_FILE through the platform's `_FILE` rule) or,
// when unset, the default of ~60 large US companies shipped as services/feature/ticker-dictionary.json.
import { z } from '@mercato/config';
import { TICKER_PATTERN, TICKER_RULE } from '@mercato/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type TickerDictionary = Record<string, string[]>;

const dictionarySchema = z.record(
  z.string().regex(TICKER_PATTERN, TICKER_RULE),
  z
    .array(z.string().trim().min(1, 'company names must not be empty').max(100, 'company name too long'))
    .min(1, 'lists no company name'),
);

/** Parses and checks a dictionary's JSON text; throws one message naming every problem. */
export function parseTickerDictionary(json: string): TickerDictionary {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  const parsed = dictionarySchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const at = i.path.map(String).join('.');
      // A bad record key reports its own checks' messages nested inside.
      const message =
        i.code === 'invalid_key' ? i.issues.map((inner) => inner.message).join(', ') : i.message;
      return at ? `${at}: ${message}` : `expected { "TICKER": ["Company name", …] } (${message})`;
    });
    throw new Error(problems.join('; '));
  }
  return parsed.data;
}

/** Where the shipped default lives: beside src/ in the sources and in dist/ alike. */
export const DEFAULT_DICTIONARY_FILE = join(__dirname, '..', '..', 'ticker-dictionary.json');

export function defaultTickerDictionary(): TickerDictionary {
  return parseTickerDictionary(readFileSync(DEFAULT_DICTIONARY_FILE, 'utf8'));
}
