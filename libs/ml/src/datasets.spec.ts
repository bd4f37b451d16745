import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseLabelMap,
  parseTextEncoding,
  parseTextFormat,
  readLabeledText,
  readMovieLensItems,
  readMovieLensRatings,
  textFormatOf,
} from './datasets';

const dir = mkdtempSync(join(tmpdir(), 'ml-data-'));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('dataset readers', () => {
  it('reads CSV text,label with a label map (TFNS convention)', () => {
    const p = file(
      'tfns.csv',
      'text,label\n"$AAPL beats, shares up",1\nStocks slide,0\nMeeting on Monday,2\n',
    );
    expect(readLabeledText(p, parseLabelMap('0=negative,1=positive,2=neutral'))).toEqual([
      { text: '$AAPL beats, shares up', label: 2 },
      { text: 'Stocks slide', label: 0 },
      { text: 'Meeting on Monday', label: 1 },
    ]);
    expect(() => readLabeledText(p)).toThrow(/unknown label "1"/);
  });

  it('reads Financial PhraseBank lines in Latin-1, saying so', () => {
    const p = file(
      'fpb.txt',
      Buffer.from('Operating profit rose to EUR 13.1 mn .@positive\nSales fell \xe9@negative\n', 'latin1'),
    );
    const warnings: string[] = [];
    expect(readLabeledText(p, undefined, { onWarning: (w) => warnings.push(w) })).toEqual([
      { text: 'Operating profit rose to EUR 13.1 mn .', label: 2 },
      { text: 'Sales fell é', label: 0 },
    ]);
    expect(warnings).toEqual([
      'fpb.txt is not valid UTF-8 (first at line 2): read as Latin-1; --encoding utf-8 or latin1 decides',
    ]);
    // Told it is Latin-1, the reader does not warn.
    expect(
      readLabeledText(p, undefined, { encoding: 'latin1', onWarning: (w) => warnings.push(w) }),
    ).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(() => readLabeledText(p, undefined, { encoding: 'utf-8' })).toThrow(
      /fpb.txt line 2: not valid UTF-8 \(--encoding latin1 reads the file as Latin-1\)/,
    );
  });

  it('reads a UTF-8 release of the PhraseBank as UTF-8, with or without a byte-order mark', () => {
    const text =
      'Net sales rose 5 % to EUR 1.2 mn in Espoo, Finland — “a record”.@positive\nLänsivayla café closes@neutral\n';
    const warnings: string[] = [];
    for (const content of [
      Buffer.from(text, 'utf8'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
    ]) {
      expect(
        readLabeledText(file('fpb-utf8.txt', content), undefined, { onWarning: (w) => warnings.push(w) }),
      ).toEqual([
        { text: 'Net sales rose 5 % to EUR 1.2 mn in Espoo, Finland — “a record”.', label: 2 },
        { text: 'Länsivayla café closes', label: 1 },
      ]);
    }
    expect(warnings).toEqual([]);
  });

  it('takes the format from the extension unless one is given', () => {
    expect(
      ['a.csv', 'a.jsonl', 'a.ndjson', 'a.json', 'Sentences_AllAgree.txt', 'data'].map(textFormatOf),
    ).toEqual(['csv', 'jsonl', 'jsonl', 'jsonl', 'phrasebank', 'phrasebank']);
    const csvAsData = file('tfns.data', 'text,label\nStocks slide,negative\n');
    expect(readLabeledText(csvAsData, undefined, { format: 'csv' })).toEqual([
      { text: 'Stocks slide', label: 0 },
    ]);
    expect(() => readLabeledText(csvAsData)).toThrow(/expected sentence@label/);
    expect(parseTextFormat('jsonl')).toBe('jsonl');
    expect(() => parseTextFormat('xml')).toThrow(/--format xml: expected csv, phrasebank, jsonl/);
    expect(parseTextEncoding('ISO-8859-1')).toBe('latin1');
    expect(parseTextEncoding('utf8')).toBe('utf-8');
    expect(() => parseTextEncoding('utf-16')).toThrow(/--encoding utf-16: expected utf-8 or latin1/);
  });

  it('reads JSON Lines', () => {
    const p = file('d.jsonl', '{"text":"up","label":"bullish"}\n{"text":"down","label":"negative"}\n');
    expect(readLabeledText(p)).toEqual([
      { text: 'up', label: 2 },
      { text: 'down', label: 0 },
    ]);
  });

  it('reads MovieLens ratings.csv / u.data and movies.csv / u.item', () => {
    expect(
      readMovieLensRatings(file('ratings.csv', 'userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n')),
    ).toEqual([{ user: '1', item: '31', rating: 2.5, timestamp: 1260759144 }]);
    expect(readMovieLensRatings(file('u.data', '196\t242\t3\t881250949\n'))).toEqual([
      { user: '196', item: '242', rating: 3, timestamp: 881250949 },
    ]);
    expect(
      readMovieLensItems(
        file('movies.csv', 'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n'),
      ),
    ).toEqual([{ item: '1', title: 'Toy Story (1995)', genres: ['Adventure', 'Animation'] }]);
    const uitem = '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n';
    expect(readMovieLensItems(file('u.item', uitem))[0]).toEqual({
      item: '1',
      title: 'Toy Story (1995)',
      genres: ['Animation', "Children's", 'Comedy'],
    });
  });

  it('rejects malformed label maps with the entry', () => {
    expect(() => parseLabelMap('0=bad')).toThrow(/bad label map entry "0=bad"/);
  });
});
