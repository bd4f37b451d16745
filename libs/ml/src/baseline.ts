// The bag-of-words baseline every sentiment model must beat: multinomial logistic regression over
// TF-IDF-weighted unigrams and bigrams (the hashing trick bounds the feature count).
import type { TF } from './backend';
import type { LabeledText } from './datasets';
import { seededShuffle } from '@mercato/synthetic';
import { tokenize } from './tokenizer';

function hashToken(token: string, buckets: number): number {
  let h = 2166136261;
  for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 16777619);
  return (h >>> 0) % buckets;
}

export class BagOfWordsBaseline {
  private idf = new Float32Array(0);
  private model: import('@tensorflow/tfjs').Sequential | undefined;

  constructor(
    private readonly tf: TF,
    private readonly buckets = 2 ** 16,
  ) {}

  private features(text: string): Map<number, number> {
    const tokens = tokenize(text);
    const grams = [...tokens, ...tokens.slice(1).map((t, i) => `${tokens[i]} ${t}`)];
    const counts = new Map<number, number>();
    for (const g of grams) {
      const b = hashToken(g, this.buckets);
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    return counts;
  }

  private matrix(texts: string[]): import('@tensorflow/tfjs').Tensor2D {
    const data = new Float32Array(texts.length * this.buckets);
    texts.forEach((text, row) => {
      const f = this.features(text);
      let norm = 0;
      for (const [b, c] of f) norm += (Math.log1p(c) * (this.idf[b] ?? 1)) ** 2;
      norm = Math.sqrt(norm) || 1;
      for (const [b, c] of f) data[row * this.buckets + b] = (Math.log1p(c) * (this.idf[b] ?? 1)) / norm;
    });
    return this.tf.tensor2d(data, [texts.length, this.buckets]);
  }

  async fit(data: LabeledText[], epochs = 8, seed = 1): Promise<void> {
    const df = new Float32Array(this.buckets);
    for (const d of data) for (const b of this.features(d.text).keys()) df[b] = df[b] + 1;
    this.idf = df.map((n) => Math.log((1 + data.length) / (1 + n)) + 1);
    const tf = this.tf;
    this.model = tf.sequential({
      layers: [
        tf.layers.dense({
          inputShape: [this.buckets],
          units: 3,
          activation: 'softmax',
          kernelRegularizer: tf.regularizers.l2({ l2: 1e-6 }),
          kernelInitializer: tf.initializers.zeros(),
        }),
      ],
    });
    this.model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
    for (let e = 0; e < epochs; e++) {
      const order = seededShuffle(data, seed + e);
      for (let i = 0; i < order.length; i += 2048) {
        const chunk = order.slice(i, i + 2048);
        const x = this.matrix(chunk.map((d) => d.text));
        const y = tf.tensor1d(
          chunk.map((d) => d.label),
          'float32',
        );
        await this.model.fit(x, y, { batchSize: 64, epochs: 1, shuffle: false, verbose: 0 });
        x.dispose();
        y.dispose();
      }
    }
  }

  predict(texts: string[]): number[] {
    if (!this.model) throw new Error('baseline not fitted');
    const out: number[] = [];
    for (let i = 0; i < texts.length; i += 2048) {
      const x = this.matrix(texts.slice(i, i + 2048));
      const labels = this.tf.tidy(() =>
        (this.model?.predict(x) as import('@tensorflow/tfjs').Tensor).argMax(-1).dataSync(),
      );
      x.dispose();
      out.push(...Array.from(labels));
    }
    return out;
  }
}
