// The ticker contract every service shares: which symbols Mercato accepts and the one spelling it
// stores, scores, windows and alerts them under. Ingest validates explicit tickers with it, the
// feature service normalizes explicit tickers and cashtags with it, scoring keys scored records by
// it and the sentiment monitor checks records and API parameters against it, so a symbol accepted
// at the edge is never refused further down.
//
// Canonical form: upper-case letters and digits in runs joined by single dots or hyphens, at most
// TICKER_MAX_LENGTH characters. That covers plain symbols (TSLA, GOOGL, seven-letter OTC symbols),
// share classes (BRK.B, NOVO-B), exchange-qualified symbols (VOD.L, 7203.T, NOVO-B.CO, 005930.KS)
// and pairs (BTC-USD). Mercato does not translate between symbologies: BRK-B and BRK.B are two
// symbols, as the publisher wrote them.

export const TICKER_MAX_LENGTH = 32;

/** A canonical ticker. */
export const TICKER_PATTERN = /^(?=.{1,32}$)[A-Z0-9]+(?:[.-][A-Z0-9]+)*$/;

/** The rule in words, for validation messages. */
export const TICKER_RULE =
  `must be a ticker such as TSLA, BRK.B, VOD.L, 7203.T or NOVO-B.CO: letters and digits, ` +
  `optionally joined by single "." or "-", at most ${TICKER_MAX_LENGTH} characters`;

/** An exchange prefix as in "NASDAQ:TSLA" or "NYSE: TGT". */
const EXCHANGE_PREFIX = /^[A-Z]{1,10}:\s*/;

/**
 * The canonical form of a ticker in the spellings publishers use, or undefined when it is none:
 * surrounding space is trimmed, letters are upper-cased (full-width forms folded), a leading `$`
 * and an exchange prefix (`NASDAQ:`) are dropped, and `/` reads as `.` (BRK/B → BRK.B).
 */
export function normalizeTicker(raw: string): string | undefined {
  const symbol = raw
    .normalize('NFKC')
    .trim()
    .toUpperCase()
    .replace(/^\$/, '')
    .replace(EXCHANGE_PREFIX, '')
    .replace(/\//g, '.');
  return TICKER_PATTERN.test(symbol) ? symbol : undefined;
}

export interface NormalizedTickers {
  /** Canonical, distinct, in first-seen order. */
  tickers: string[];
  /** The inputs that are no ticker, as given. */
  rejected: string[];
}

/** Normalizes a list of tickers, keeping the order of first mention and naming what was refused. */
export function normalizeTickers(raw: readonly string[]): NormalizedTickers {
  const tickers = new Set<string>();
  const rejected: string[] = [];
  for (const item of raw) {
    const ticker = normalizeTicker(item);
    if (ticker) tickers.add(ticker);
    else rejected.push(item);
  }
  return { tickers: [...tickers], rejected };
}
