// Which tickers an article is about: the publisher's explicit `tickers`, cashtags in the text
// ($TSLA, $BRK.B), and company names from the dictionary. Precision comes first — a false ticker
// puts an unrelated article into a ticker's sentiment window — so:
//  - a bare upper-case word (CEO, USA, IT, A) is never a ticker; only a $cashtag or the explicit
//    field names a symbol directly;
//  - names match case-sensitively on word boundaries ("apple pie" is not Apple; a hyphen joined to a
//    letter continues the word, so "Meta-analysis" is not Meta);
//  - a name that is also an ordinary word or a common personal name (Apple, Target, Gap, Visa, Ford,
//    Amazon, Oracle, …: AMBIGUOUS_NAMES) counts only with a corporate cue, wherever it stands.
//    Capitalization proves nothing at a sentence start or in a Title-Case headline. The cues are
//    the next word (after an optional possessive) being a corporate suffix, market noun or
//    corporate-action verb from CUE_WORDS ("Target Corp", "Apple shares", "Ford recalls"); a
//    following "(TGT)" or "(NYSE: TGT)" naming the same ticker; or a preceding "shares of" /
//    "stake in". Multi-word registered names ("Target Corp", "Ford Motor") need no cue.
// The result is explicit tickers first, then the text's in order of first mention, deduplicated, all
// in the canonical form of the ticker contract (@mercato/contracts).
import { TICKER_PATTERN, normalizeTickers } from '@mercato/contracts';
import type { TickerDictionary } from './ticker-dictionary';

/** Single-word company names that are also everyday words or people's names (lower-cased). */
export const AMBIGUOUS_NAMES: ReadonlySet<string> = new Set([
  'adobe',
  'alphabet',
  'amazon',
  'apple',
  'ball',
  'block',
  'carrier',
  'caterpillar',
  'chase',
  'chevron',
  'coherent',
  'delta',
  'discovery',
  'dominion',
  'ford',
  'gap',
  "lowe's",
  'marathon',
  'match',
  'meta',
  'oracle',
  'pioneer',
  'progressive',
  'shell',
  'snap',
  'southern',
  'sprint',
  'square',
  'staples',
  'target',
  'travelers',
  'unity',
  'visa',
  'zoom',
]);

/**
 * Words that, right after an ambiguous name, show it is the company. Movement verbs (rises, falls,
 * closes, widens) and planning words (plans, expected) are left out: "Gap closes", "Target plans"
 * and "Gap expected to widen" read as well about a gap or a target as about a company.
 */
export const CUE_WORDS: ReadonlySet<string> = new Set(
  [
    // corporate suffixes and name parts
    'inc corp corporation co company ltd limited plc llc group holdings motor motors',
    // market and corporate nouns
    'shares share stock stocks shareholders investors earnings revenue revenues profit profits sales',
    'results guidance outlook stake ceo cfo executives chief boss chairman board spokesperson',
    'spokesman spokeswoman employees workers stores',
    // corporate-action verbs
    'said says reported reports announced announces unveiled unveils launched launches posted posts',
    'beat beats missed misses cut cuts forecast forecasts hires hired files filed sued sues recalls',
    'recalled acquires acquired agreed agrees warns warned settles settled names appoints appointed',
    'confirmed confirms denied denies declined downgraded upgraded schedules invests',
  ]
    .join(' ')
    .split(' '),
);

/** $TSLA, $BRK.B, $NOVO-B.CO: a letter first ("$5" is money), then whatever the contract allows. */
const CASHTAG = /(?<![\p{L}\p{N}$])\$([A-Z][A-Z0-9]*(?:[.-][A-Z0-9]+)*)(?![\p{L}\p{N}])/gu;
/** "$US 5 billion" is money, not a ticker. */
const CURRENCY_AFTER_DOLLAR: ReadonlySet<string> = new Set([
  'US',
  'USD',
  'AUD',
  'CAD',
  'NZ',
  'NZD',
  'HK',
  'HKD',
  'SG',
  'SGD',
]);
const PRECEDING_CUE = /(?:\bshares|\bstock|\bstake|\binvestors)\s+(?:of|in)\s+$/iu;
const PARENTHESIZED_TICKER = /^\s*\(\s*(?:[A-Za-z]+\s*:\s*)?\$?([A-Z0-9.-]{1,32})\s*\)/u;
const POSSESSIVE = /^['’]s(?![\p{L}\p{N}])/u;
const NEXT_WORD = /^\s+(\p{L}+)/u;

const canonicalName = (name: string): string => name.replace(/’/g, "'");
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class TickerExtractor {
  private readonly tickersByName = new Map<string, string[]>();
  private readonly ambiguous = new Set<string>();
  private readonly names: RegExp | undefined;

  constructor(dictionary: TickerDictionary) {
    for (const [ticker, names] of Object.entries(dictionary)) {
      for (const raw of names) {
        const name = canonicalName(raw.normalize('NFKC').trim());
        const tickers = this.tickersByName.get(name) ?? [];
        if (!tickers.includes(ticker)) tickers.push(ticker);
        this.tickersByName.set(name, tickers);
        if (!/\s/.test(name) && AMBIGUOUS_NAMES.has(name.toLowerCase())) this.ambiguous.add(name);
      }
    }
    // Longest first, so "Tesla Inc" wins over "Tesla" where both start.
    const alternatives = [...this.tickersByName.keys()]
      .sort((a, b) => b.length - a.length)
      .map((name) => escapeRegExp(name).replace(/'/g, "['’]"));
    this.names =
      alternatives.length > 0
        ? new RegExp(
            `(?<![\\p{L}\\p{N}]|\\p{L}-)(?:${alternatives.join('|')})(?![\\p{L}\\p{N}]|-\\p{L})`,
            'gu',
          )
        : undefined;
  }

  /**
   * Tickers of a normalized article text, after the publisher's explicit ones ($tsla, NASDAQ:TSLA
   * and brk/b read as TSLA and BRK.B; what is no ticker under the contract is left out: see
   * normalizeTickers for the list of those).
   */
  extract(text: string, explicit: readonly string[] = []): string[] {
    const mentions: { at: number; ticker: string }[] = [];
    for (const match of text.matchAll(CASHTAG)) {
      const ticker = match[1] as string;
      if (!CURRENCY_AFTER_DOLLAR.has(ticker) && TICKER_PATTERN.test(ticker))
        mentions.push({ at: match.index, ticker });
    }
    if (this.names) {
      for (const match of text.matchAll(this.names)) {
        const name = canonicalName(match[0]);
        const tickers = this.tickersByName.get(name) ?? [];
        const end = match.index + match[0].length;
        if (this.ambiguous.has(name) && !hasCorporateCue(text, match.index, end, tickers)) continue;
        for (const ticker of tickers) mentions.push({ at: match.index, ticker });
      }
    }
    mentions.sort((a, b) => a.at - b.at);
    const out = new Set(normalizeTickers(explicit).tickers);
    for (const mention of mentions) out.add(mention.ticker);
    return [...out];
  }
}

/** The cue rules for an ambiguous name at text[start, end); they never look past a line break. */
function hasCorporateCue(text: string, start: number, end: number, tickers: readonly string[]): boolean {
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const lineEnd = text.indexOf('\n', end);
  const before = text.slice(Math.max(lineStart, start - 40), start);
  let after = text.slice(end, lineEnd === -1 ? undefined : lineEnd);
  if (PRECEDING_CUE.test(before)) return true;
  const parenthesized = PARENTHESIZED_TICKER.exec(after);
  if (parenthesized && tickers.includes(parenthesized[1] as string)) return true;
  after = after.replace(POSSESSIVE, '');
  const next = NEXT_WORD.exec(after);
  return next !== null && CUE_WORDS.has((next[1] as string).toLowerCase());
}
