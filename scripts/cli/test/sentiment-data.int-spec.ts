// How `mercato train` and `mercato eval` read sentiment data, as a data scientist meets it (the built
// CLI as a process): --format overrides the extension, --test-split holds out every label at its
// share, a Latin-1 PhraseBank is read with a warning on stderr (none with --encoding latin1), and the
// text options are refused for recommender data.
import { generateNews, type Sentiment } from '@mercato/synthetic';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliOutcome } from './run-cli';

const dir = mkdtempSync(join(tmpdir(), 'cli-sentiment-data-'));

const mercato = (args: string[]): Promise<CliOutcome> => runCli(args, { via: 'node' });

/** Headlines with exactly `wanted` of each label, listed label by label. */
function headlines(wanted: Record<Sentiment, number>): { text: string; label: Sentiment }[] {
  const pool = generateNews({ seed: 9, count: 2_000, start: new Date('2026-03-02T00:00:00Z'), spacingMs: 1 });
  return (['negative', 'neutral', 'positive'] as const).flatMap((label) =>
    pool
      .filter((a) => a.sentiment === label)
      .slice(0, wanted[label])
      .map((a) => ({ text: a.headline, label })),
  );
}

describe('sentiment data in train and eval', () => {
  const model = join(dir, 'model');

  it('trains from CSV in a file named .data with --format csv, holding out each label at its share', async () => {
    const data = join(dir, 'tfns.data');
    const rows = headlines({ negative: 120, neutral: 60, positive: 20 });
    writeFileSync(
      data,
      `text,label\n${rows.map((r) => `"${r.text.replace(/"/g, '""')}",${r.label}`).join('\n')}\n`,
    );
    const trained = await mercato([
      'train',
      'sentiment',
      '--architecture',
      'cnn',
      '--data',
      data,
      '--format',
      'csv',
      '--test-split',
      '0.25',
      '--epochs',
      '1',
      '--offline',
      '--out',
      model,
      '--json',
    ]);
    expect(trained.code, trained.stderr).toBe(0);
    const { report, lineage } = JSON.parse(trained.stdout);
    expect(lineage).toMatchObject({ trainExamples: 150, testExamples: 50 });
    expect(report.perClass.map((c: { label: string; support: number }) => [c.label, c.support])).toEqual([
      ['negative', 30],
      ['neutral', 15],
      ['positive', 5],
    ]);
  }, 180_000);

  it('reads a Latin-1 PhraseBank with a warning on stderr, and quietly with --encoding latin1', async () => {
    const phrasebank = join(dir, 'Sentences_50Agree.txt');
    writeFileSync(
      phrasebank,
      Buffer.from(
        'Operating profit rose to EUR 13.1 mn .@positive\nLiikevaihto laski Espoossa \xe4kkiä .@negative\n' +
          'The company is based in Helsinki .@neutral\n',
        'latin1',
      ),
    );
    const evaluate = (...extra: string[]) =>
      mercato(['eval', 'sentiment', '--model', model, '--data', phrasebank, ...extra]);
    const detected = await evaluate('--json');
    expect(detected.code, detected.stderr).toBe(0);
    expect(JSON.parse(detected.stdout).examples).toBe(3);
    expect(detected.stderr).toContain(
      'warning: Sentences_50Agree.txt is not valid UTF-8 (first at line 2): read as Latin-1',
    );
    const told = await evaluate('--encoding', 'latin1', '--json');
    expect(told.code, told.stderr).toBe(0);
    expect(told.stderr).not.toContain('warning');
    const strict = await evaluate('--encoding', 'utf-8');
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('Sentences_50Agree.txt line 2: not valid UTF-8');
  }, 120_000);

  it('refuses bad values and the text options for recommender data, naming them', async () => {
    const format = await mercato([
      'eval',
      'sentiment',
      '--model',
      model,
      '--data',
      'x.csv',
      '--format',
      'xml',
    ]);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('--format xml: expected csv, phrasebank, jsonl');
    const recommender = await mercato([
      'train',
      'recommender',
      '--data',
      'u.data',
      '--format',
      'csv',
      '--offline',
    ]);
    expect(recommender.code).toBe(1);
    expect(recommender.stderr).toContain('--format and --encoding apply to sentiment data');
  }, 60_000);
});
