// The sentiment classifier on the native backend with seeded synthetic finance news: it learns,
// explains itself with the words that matter, round-trips through its artifact, and is
// deterministic for a seed.
import { generateNews } from '@mercato/synthetic';
import { describe, expect, it } from 'vitest';
import { readArtifact, writeArtifact } from './artifact';
import { selectBackend } from './backend';
import { SENTIMENT_LABELS, type LabeledText } from './datasets';
import { runSentimentJob } from './sentiment-job';
import { DEFAULT_SENTIMENT_HP, SentimentModel } from './sentiment';
import { Tokenizer } from './tokenizer';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const toLabeled = (seed: number, count: number): LabeledText[] =>
  generateNews({ seed, count, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 60_000 }).map((a) => ({
    text: a.headline,
    label: SENTIMENT_LABELS.indexOf(a.sentiment),
  }));

const hp = { epochs: 4, embeddingDim: 32, filters: 32, hidden: 16, maxLength: 24, minCount: 1 };

describe('sentiment model', () => {
  it('learns, explains with sentiment words, and round-trips through its artifact', async () => {
    const progress: string[] = [];
    const result = await runSentimentJob(
      {
        kind: 'sentiment',
        trainPath: '',
        inline: { train: toLabeled(1, 1500), test: toLabeled(2, 300) },
        hyperparameters: hp,
      },
      (p) => progress.push(p.stage),
    );
    expect(result.metrics.accuracy).toBeGreaterThan(0.9);
    expect(result.metrics.macro_f1).toBeGreaterThan(0.9);
    // Its calibration, as the monitor reads it: for each label, shares right and wrong summing to 1.
    const calibration = Object.entries(result.metrics).filter(([name]) => name.startsWith('calibration_'));
    expect(calibration).toHaveLength(30);
    expect(calibration.reduce((sum, [, share]) => sum + share, 0)).toBeCloseTo(3, 9);
    expect(result.lineage).toMatchObject({ backend: 'tensorflow', trainExamples: 1500, testExamples: 300 });
    expect(progress).toEqual(
      expect.arrayContaining(['loading', 'training', 'epoch', 'evaluating', 'packaging']),
    );
    expect(result.artifact.files.map((f) => f.path).sort()).toEqual([
      'manifest.json',
      'model.json',
      'weights.bin',
    ]);

    const { tf } = await selectBackend();
    const dir = mkdtempSync(join(tmpdir(), 'sentiment-'));
    await writeArtifact(dir, result.artifact);
    const loaded = await SentimentModel.fromArtifact(tf, await readArtifact(dir));
    const texts = [
      'Tesla ($TSLA) shares plunge after a product recall',
      'Apple ($AAPL) beats earnings estimates on record sales',
    ];
    const [neg, pos] = loaded.predict(texts);
    expect(SENTIMENT_LABELS[neg?.label ?? -1]).toBe('negative');
    expect(SENTIMENT_LABELS[pos?.label ?? -1]).toBe('positive');
    const [negWhy] = loaded.explain([texts[0]], 3);
    expect(negWhy?.map((w) => w.token)).toEqual(expect.arrayContaining(['plunge']));
    loaded.dispose();
  }, 60_000);

  it('is deterministic for a seed', async () => {
    const { tf } = await selectBackend();
    const data = toLabeled(3, 400);
    const run = async (): Promise<number[]> => {
      const tok = Tokenizer.fit(
        data.map((d) => d.text),
        { minCount: 1, maxLength: 24 },
      );
      const model = SentimentModel.create(tf, tok, { ...DEFAULT_SENTIMENT_HP, ...hp, epochs: 2, seed: 11 });
      await model.fit(data);
      const probs = model.predict(data.slice(0, 20).map((d) => d.text)).flatMap((p) => p.probabilities);
      model.dispose();
      return probs;
    };
    const [a, b] = [await run(), await run()];
    a.forEach((x, i) => expect(x).toBeCloseTo(b[i], 5));
  }, 60_000);

  it('scores a batch over its longest row as the full-length model does, explanations included', async () => {
    // The shipped student: word pieces, maxLength 64, kernel 3; rows from 3 pieces to truncated ones.
    const { tf } = await selectBackend();
    const model = await SentimentModel.fromArtifact(
      tf,
      await readArtifact(join(__dirname, '../assets/sentiment-default')),
    );
    const texts = [
      'Shares plunge',
      'Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the corresponding period in 2007',
      'Tesla ($TSLA) recalls 2 million vehicles https://t.co/abc',
      `Markets ${'rally and then fall back again as traders weigh the outlook '.repeat(8)}`,
      '',
    ];
    const { maxLength } = model.tokenizer;
    const full = tf.tidy(() =>
      (
        model.model.predict(
          tf.tensor2d(model.tokenizer.encodeBatch(texts), [texts.length, maxLength], 'int32'),
        ) as import('@tensorflow/tfjs').Tensor
      ).arraySync(),
    ) as number[][];
    const classified = model.classify(texts, 5);
    classified.forEach((c, i) =>
      c.probabilities.forEach((p, k) => expect(p).toBeCloseTo(full[i]?.[k] ?? NaN, 6)),
    );
    expect(model.predict(texts)).toEqual(
      classified.map(({ label, probabilities }) => ({ label, probabilities })),
    );
    // The batch holds a truncated row, so it ran at full length; alone, each text is convolved over
    // its own length only: the same prediction and the same words, up to float rounding (a batch of
    // one takes other kernel paths than a batch of five).
    texts.forEach((text, i) => {
      const [alone] = model.classify([text], 5);
      const inBatch = classified[i];
      expect(alone?.label).toBe(inBatch?.label);
      alone?.probabilities.forEach((p, k) => expect(p).toBeCloseTo(inBatch?.probabilities[k] ?? NaN, 6));
      expect(alone?.topTokens.map((t) => t.token)).toEqual(inBatch?.topTokens.map((t) => t.token));
      alone?.topTokens.forEach((t, k) =>
        expect(t.weight).toBeCloseTo(inBatch?.topTokens[k]?.weight ?? NaN, 6),
      );
    });
    expect(classified[0]?.topTokens.map((t) => t.token)).toContain('plunge');
    model.dispose();
  }, 60_000);
});
