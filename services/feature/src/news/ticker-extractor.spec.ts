import { describe, expect, it } from 'vitest';
import { defaultTickerDictionary, parseTickerDictionary } from './ticker-dictionary';
import { TickerExtractor } from './ticker-extractor';

const extractor = new TickerExtractor(defaultTickerDictionary());
const tickers = (text: string, explicit: string[] = []): string[] => extractor.extract(text, explicit);

describe('cashtags', () => {
  it('finds $TSLA and share-class symbols like $BRK.B, in order of first mention', () => {
    expect(tickers('$TSLA and $BRK.B rally; $TSLA again, then $NVDA.')).toEqual(['TSLA', 'BRK.B', 'NVDA']);
  });

  it('ends a cashtag at punctuation and never takes prices, lower case or glued symbols', () => {
    expect(tickers('Bought $AAPL. Sold at $170.50, not $tsla or X$MSFT or $GOOGLx.')).toEqual(['AAPL']);
    expect(tickers('($AMD) and "$F", $C!')).toEqual(['AMD', 'F', 'C']);
  });

  it('takes every symbol of the ticker contract: long, share-class and exchange-qualified', () => {
    expect(tickers('$ABCDEFG, $NOVO-B.CO, $VOD.L and $BRK-B move; $TSLA-led rally')).toEqual([
      'ABCDEFG',
      'NOVO-B.CO',
      'VOD.L',
      'BRK-B',
      'TSLA',
    ]);
    expect(tickers(`$${'A'.repeat(33)} is too long`)).toEqual([]);
  });

  it('treats $US and similar currency prefixes as money', () => {
    expect(tickers('a $US 5 billion deal, $NZD 3m and $HK 2m')).toEqual([]);
  });
});

describe('bare upper-case words', () => {
  it('are never tickers unless they are cashtags or explicit', () => {
    expect(tickers('The CEO of A USA IT firm said AI and EPS, GDP and CPI matter. TSLA GM F')).toEqual([]);
    expect(tickers('The CEO said so', ['A'])).toEqual(['A']);
    expect(tickers('IT spending: $IT')).toEqual(['IT']);
  });
});

describe('explicit tickers', () => {
  it('come first, normalized, deduplicated with the text mentions', () => {
    expect(
      tickers('Tesla and $NVDA', [' nvda ', '$msft', 'NASDAQ:TSLA', 'brk/b', 'not a ticker', '']),
    ).toEqual(['NVDA', 'MSFT', 'TSLA', 'BRK.B']);
  });

  it('keep every symbol ingest accepts: seven letters, share classes, exchange suffixes', () => {
    const explicit = ['ABCDEFG', 'BRK.B', 'VOD.L', '7203.T', 'NOVO-B', 'NOVO-B.CO'];
    expect(tickers('No names here.', explicit)).toEqual(explicit);
  });
});

describe('company names', () => {
  it('match unambiguous names anywhere, case-sensitively, on word boundaries', () => {
    expect(tickers('Tesla recalls 2 million cars; Nvidia and Microsoft gain.')).toEqual([
      'TSLA',
      'NVDA',
      'MSFT',
    ]);
    expect(tickers('tesla nvidia microsoft')).toEqual([]);
    expect(tickers('Teslas and Microsoftish things, NvidiaX')).toEqual([]);
  });

  it('prefer the longest registered form and know names with punctuation', () => {
    expect(tickers('Coca-Cola, Johnson & Johnson, AT&T, McDonald’s and J.P. Morgan report.')).toEqual([
      'KO',
      'JNJ',
      'T',
      'MCD',
      'JPM',
    ]);
    expect(tickers('Bank of America and Amazon.com Inc both filed.')).toEqual(['BAC', 'AMZN']);
  });

  it('do not match inside hyphenated words', () => {
    expect(tickers('A Meta-analysis of non-Tesla cars')).toEqual([]);
  });

  it('map a name registered under two tickers to both', () => {
    const both = new TickerExtractor({ GOOGL: ['Alphabet Inc'], GOOG: ['Alphabet Inc'] });
    expect(both.extract('Alphabet Inc reports')).toEqual(['GOOGL', 'GOOG']);
  });
});

describe('ambiguous names (ordinary words or people’s names)', () => {
  it('"apple pie" is never Apple; "Apple" with a corporate cue is', () => {
    expect(tickers('I baked an apple pie.')).toEqual([]);
    expect(tickers('Apple pie recipes for the fall')).toEqual([]);
    expect(tickers('Apple shares rose 3%.')).toEqual(['AAPL']);
    expect(tickers('Analysts said Apple reported record revenue.')).toEqual(['AAPL']);
    expect(tickers("Apple's revenue beat estimates")).toEqual(['AAPL']);
    expect(tickers('Apple Inc. fell')).toEqual(['AAPL']);
  });

  it('Target, Gap, Visa and Ford at sentence starts need a cue', () => {
    expect(tickers('Target practice starts at noon.')).toEqual([]);
    expect(tickers('Gap year programs are booming.')).toEqual([]);
    expect(tickers('Visa requirements for travelers changed.')).toEqual([]);
    expect(tickers('Ford Focus owners meet. Harrison Ford stars in a film.')).toEqual([]);
    expect(
      tickers('Target shares jumped. Gap Inc said sales fell. Visa reports. Ford recalls trucks.'),
    ).toEqual(['TGT', 'GAP', 'V', 'F']);
  });

  it('Title-Case headlines get no pass: capitalization alone proves nothing', () => {
    expect(tickers('Students Mind The Gap As Visa Rules Tighten')).toEqual([]);
    expect(tickers('Investors Dump Target Shares After Weak Quarter')).toEqual(['TGT']);
  });

  it('multi-word registered forms need no cue', () => {
    expect(tickers('Ford Motor and Target Corp and Gap Inc')).toEqual(['F', 'TGT', 'GAP']);
    expect(tickers('Target Corporation to build stores')).toEqual(['TGT']);
  });

  it('accept a parenthesized ticker of the same company, or a preceding "shares of"', () => {
    expect(tickers('Target (NYSE: TGT) cut prices')).toEqual(['TGT']);
    expect(tickers('Target (TGT) to open')).toEqual(['TGT']);
    expect(tickers('Target (AAPL) to open')).toEqual([]);
    expect(tickers('Funds sold shares of Ford on Monday')).toEqual(['F']);
    expect(tickers('Buffett took a stake in Visa')).toEqual(['V']);
  });

  it('never take a cue from the next line (the body after the headline)', () => {
    expect(tickers('Bargains at Target\nShares of retailers were flat.')).toEqual([]);
    expect(tickers('The wage gap\nGap\nshares')).toEqual([]);
  });

  it('leaves movement verbs out of the cues: "the gap closes" is no company', () => {
    expect(tickers('Gap closes between rich and poor; Target falls short.')).toEqual([]);
  });
});

describe('extract', () => {
  it('deduplicates and keeps the order of first mention across cashtags and names', () => {
    expect(tickers('Microsoft beat Tesla; $TSLA up, $MSFT down, Tesla Inc again, $AAPL.')).toEqual([
      'MSFT',
      'TSLA',
      'AAPL',
    ]);
  });

  it('an article with no ticker gives none', () => {
    expect(tickers('Central bank holds rates steady as inflation cools')).toEqual([]);
  });
});

describe('parseTickerDictionary', () => {
  it('reads the documented format', () => {
    expect(parseTickerDictionary('{ "TSLA": ["Tesla", "Tesla Inc"] }')).toEqual({
      TSLA: ['Tesla', 'Tesla Inc'],
    });
  });

  it('names every problem', () => {
    expect(() => parseTickerDictionary('{ nope')).toThrow(/not valid JSON/);
    expect(() => parseTickerDictionary('["Tesla"]')).toThrow(/expected \{ "TICKER"/);
    expect(() => parseTickerDictionary('{ "tsla": ["Tesla"], "AAPL": [], "MSFT": [""] }')).toThrow(
      /tsla: must be a ticker such as TSLA.*AAPL: lists no company name.*MSFT\.0: company names must not be empty/,
    );
  });

  it('ships a default of large US companies, every one a valid entry', () => {
    const dictionary = defaultTickerDictionary();
    expect(Object.keys(dictionary).length).toBeGreaterThanOrEqual(50);
    expect(dictionary.AAPL).toContain('Apple');
  });
});
