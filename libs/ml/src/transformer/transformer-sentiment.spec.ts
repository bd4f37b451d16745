// Fine-tuning, explaining, packaging and distilling the transformer classifier, on a tiny seeded BERT
// (two layers, 32 wide) and generated finance headlines, so the whole teacher -> student path runs
// in seconds. The real encoder's numerics are checked in bert.spec.ts.
import { generateNews } from '@mercato/synthetic';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../artifact';
import { selectBackend, type TF } from '../backend';
import { SENTIMENT_LABELS, type LabeledText } from '../datasets';
import { SentimentModel } from '../sentiment';
import { loadSentimentClassifier } from '../sentiment-job';
import { augmentTexts, distillStudent, ensemblePredict, evaluateEnsemble } from './distill';
import { loadPretrainedEncoder, type PretrainedEncoder } from './pretrained-encoder';
import { writeTinyEncoder } from './tiny-encoder';
import { TransformerSentimentModel } from './transformer-sentiment';

const labeled = (seed: number, count: number): LabeledText[] =>
  generateNews({ seed, count, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 60_000 }).map((a) => ({
    text: a.headline,
    label: SENTIMENT_LABELS.indexOf(a.sentiment),
  }));

const hp = { epochs: 3, batchSize: 16, learningRate: 3e-3, warmupFraction: 0.1, maxLength: 24, patience: 3 };

describe('transformer sentiment (tiny encoder)', () => {
  let tf: TF;
  let dir: string;
  let encoder: PretrainedEncoder;
  const train = labeled(1, 600);
  const test = labeled(2, 200);

  beforeAll(async () => {
    ({ tf } = await selectBackend());
    dir = writeTinyEncoder(mkdtempSync(join(tmpdir(), 'tiny-encoder-')), {
      texts: [...train, ...test].map((d) => d.text),
    });
    encoder = await loadPretrainedEncoder(dir, 'tiny');
  });

  it('fine-tunes, explains with sentiment words, and round-trips through a float16 artifact', async () => {
    const model = TransformerSentimentModel.fromPretrained(tf, encoder, hp);
    const epochs: number[] = [];
    const steps: number[] = [];
    await model.fit(train, {
      onEpoch: (p) => epochs.push(p.valMacroF1),
      onStep: (p) => steps.push(p.learningRate),
      stepEvery: 5,
    });
    expect(epochs.length).toBeGreaterThan(0);
    // Warm-up then linear decay.
    expect(steps[0]).toBeLessThan(Math.max(...steps));
    expect(steps[steps.length - 1]).toBeLessThan(Math.max(...steps));
    const report = model.evaluate(test);
    expect(report.accuracy).toBeGreaterThan(0.9);

    const [why] = model.explain(['Tesla ($TSLA) shares plunge after a product recall'], 3);
    expect(why?.length).toBeGreaterThan(0);
    // A negative cue of the generator's templates is among the three words that pushed most.
    expect(why?.some((w) => ['plunge', 'recall', 'product'].includes(w.token))).toBe(true);

    const artifact = await model.toArtifact({
      metrics: {},
      backend: 'tensorflow',
      createdAt: new Date().toISOString(),
    });
    expect(artifact.files.map((f) => f.path).sort()).toEqual([
      'manifest.json',
      'model.json',
      'tokenizer.json',
      'weights.bin',
    ]);
    expect(readManifest(artifact).extra).toMatchObject({
      architecture: 'transformer',
      tokenizer: { kind: 'wordpiece' },
    });
    const loaded = await loadSentimentClassifier(tf, artifact);
    expect(loaded.architecture).toBe('transformer');
    const texts = test.slice(0, 20).map((d) => d.text);
    const before = model.predict(texts);
    const after = loaded.predict(texts);
    after.forEach((p, i) =>
      p.probabilities.forEach((x, c) => expect(x).toBeCloseTo(before[i]?.probabilities[c] ?? 0, 2)),
    );
    loaded.dispose();
    model.dispose();
  }, 120_000);

  it('gives the same model for the same data and seed, and stops when asked', async () => {
    const run = async (): Promise<number[]> => {
      const model = TransformerSentimentModel.fromPretrained(tf, encoder, { ...hp, epochs: 1, seed: 5 });
      await model.fit(train.slice(0, 200));
      const out = model.predict(test.slice(0, 10).map((d) => d.text)).flatMap((p) => p.probabilities);
      model.dispose();
      return out;
    };
    const [a, b] = [await run(), await run()];
    a.forEach((x, i) => expect(x).toBeCloseTo(b[i] ?? NaN, 5));

    const stopped = TransformerSentimentModel.fromPretrained(tf, encoder, { ...hp, epochs: 5 });
    let calls = 0;
    const fit = await stopped.fit(train, { shouldStop: () => ++calls > 3 });
    expect(fit.epochs).toBe(1);
    stopped.dispose();
  }, 120_000);

  it('refuses a tokenizer whose vocabulary does not match the embedding matrix', async () => {
    const bad = writeTinyEncoder(mkdtempSync(join(tmpdir(), 'tiny-bad-')), {
      texts: train.map((d) => d.text),
      declaredVocabSize: 999,
    });
    await expect(loadPretrainedEncoder(bad)).rejects.toThrow(
      /tokenizer has \d+ entries but the weights' embedding matrix has 999 rows/,
    );

    const model = TransformerSentimentModel.fromPretrained(tf, encoder, { ...hp, epochs: 1 });
    const artifact = await model.toArtifact({
      metrics: {},
      backend: 'tensorflow',
      createdAt: new Date().toISOString(),
    });
    model.dispose();
    const tokenizer = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as {
      model: { vocab: Record<string, number> };
    };
    tokenizer.model.vocab.extraword = Object.keys(tokenizer.model.vocab).length;
    const tampered = artifact.files.map((f) =>
      f.path === 'tokenizer.json' ? { ...f, bytes: Buffer.from(JSON.stringify(tokenizer)) } : f,
    );
    await expect(loadSentimentClassifier(tf, { files: tampered })).rejects.toThrow(
      /tokenizer version mismatch|embedding matrix/,
    );
  }, 120_000);

  it('distils a student CNN over the teacher word pieces that agrees with it', async () => {
    const teacher = TransformerSentimentModel.fromPretrained(tf, encoder, hp);
    await teacher.fit(train);
    const result = await distillStudent(tf, {
      teachers: [teacher],
      labeled: train.slice(0, 500),
      validation: train.slice(500),
      augment: { variantsPerText: 3 },
      hyperparameters: {
        embeddingDim: 16,
        filters: 32,
        hidden: 16,
        epochs: 6,
        batchSize: 32,
        learningRate: 0.005,
        maxLength: 24,
      },
    });
    expect(result.augmentedExamples).toBeGreaterThan(1000);
    expect(result.teacherAgreement).toBeGreaterThan(0.9);
    expect(result.student.architecture).toBe('student');
    expect(result.student.evaluate(test).accuracy).toBeGreaterThan(0.85);
    const artifact = await result.student.toArtifact(
      { metrics: {}, backend: 'tensorflow', createdAt: new Date().toISOString() },
      { weightDtype: 'float16' },
    );
    expect(artifact.files.map((f) => f.path).sort()).toEqual([
      'manifest.json',
      'model.json',
      'tokenizer.json',
      'weights.bin',
    ]);
    const folder = mkdtempSync(join(tmpdir(), 'student-'));
    for (const f of artifact.files) writeFileSync(join(folder, f.path), f.bytes);
    const loaded = await loadSentimentClassifier(tf, artifact);
    expect(loaded).toBeInstanceOf(SentimentModel);
    const [neg] = loaded.predict(['Boeing ($BA) shares plunge after a product recall']);
    expect(SENTIMENT_LABELS[neg?.label ?? -1]).toBe('negative');
    const why = loaded.explain(['Boeing ($BA) shares plunge after a product recall'], 2)[0] ?? [];
    expect(why.some((w) => ['plunge', 'recall', 'product'].includes(w.token))).toBe(true);
    // Teacher and student read the same word pieces, so they miss the same ones: few on the
    // generator's headlines, more once words the vocabulary never saw come in (drift).
    const seen = test.map((d) => d.text);
    const novel = [...seen.slice(0, 20), 'Zorblax quuxifies its frobnicator', 'Vexmoor wibbles'];
    expect(loaded.unknownStats(novel)).toEqual(teacher.unknownStats(novel));
    expect(loaded.unknownStats(novel).rate).toBeGreaterThan(loaded.unknownStats(seen).rate);
    loaded.dispose();
    result.student.dispose();
    teacher.dispose();
  }, 180_000);

  it('distils from an ensemble: the mean of its teachers probabilities, over one vocabulary', async () => {
    const a = TransformerSentimentModel.fromPretrained(tf, encoder, { ...hp, seed: 1 });
    const b = TransformerSentimentModel.fromPretrained(tf, encoder, { ...hp, seed: 2 });
    const texts = test.slice(0, 20).map((d) => d.text);
    const [pa, pb, mean] = [a.predict(texts), b.predict(texts), ensemblePredict([a, b], texts)];
    mean.forEach((m, i) => {
      m.probabilities.forEach((p, c) => {
        const expected = ((pa[i]?.probabilities[c] ?? 0) + (pb[i]?.probabilities[c] ?? 0)) / 2;
        expect(p).toBeCloseTo(expected, 6);
      });
      expect(m.label).toBe(m.probabilities.indexOf(Math.max(...m.probabilities)));
    });
    expect(ensemblePredict([a], texts)).toEqual(pa);
    expect(evaluateEnsemble([a, b], test.slice(0, 20)).accuracy).toBe(
      mean.filter((m, i) => m.label === test[i]?.label).length / 20,
    );
    const small = { epochs: 1, embeddingDim: 8, filters: 8, hidden: 8, maxLength: 24 };
    const labeledSlice = train.slice(0, 40);
    const result = await distillStudent(tf, {
      teachers: [a, b],
      labeled: labeledSlice,
      validation: train.slice(40, 60),
      augment: { variantsPerText: 1 },
      hyperparameters: small,
    });
    // The soft labels of the labeled texts are the ensemble's (before gold labels are mixed in).
    const expected = ensemblePredict(
      [a, b],
      labeledSlice.slice(0, 5).map((d) => d.text),
    );
    result.teacherProbabilities
      .slice(0, 5)
      .forEach((p, i) => p.forEach((q, c) => expect(q).toBeCloseTo(expected[i]?.probabilities[c] ?? -1, 5)));
    result.student.dispose();

    await expect(distillStudent(tf, { teachers: [], labeled: labeledSlice })).rejects.toThrow(
      /at least one teacher/,
    );
    // A teacher over other word pieces cannot join the ensemble.
    const otherDir = writeTinyEncoder(mkdtempSync(join(tmpdir(), 'tiny-other-')), {
      texts: ['an entirely different vocabulary'],
    });
    const other = TransformerSentimentModel.fromPretrained(
      tf,
      await loadPretrainedEncoder(otherDir, 'tiny'),
      hp,
    );
    await expect(distillStudent(tf, { teachers: [a, other], labeled: labeledSlice })).rejects.toThrow(
      /teacher 2 does not use the word pieces of teacher 1/,
    );
    [a, b, other].forEach((m) => m.dispose());
  }, 120_000);

  it('augments deterministically, without repeating its sources', () => {
    const texts = ['shares plunge after a recall', 'company names a new chief'];
    const a = augmentTexts(texts, {
      variantsPerText: 5,
      maskProbability: 0.2,
      replaceProbability: 0.2,
      ngramProbability: 0.3,
      seed: 3,
    });
    expect(a).toEqual(
      augmentTexts(texts, {
        variantsPerText: 5,
        maskProbability: 0.2,
        replaceProbability: 0.2,
        ngramProbability: 0.3,
        seed: 3,
      }),
    );
    expect(a.some((t) => t.includes('[MASK]'))).toBe(true);
    for (const t of texts) expect(a).not.toContain(t);
    expect(new Set(a).size).toBe(a.length);
  });
});
