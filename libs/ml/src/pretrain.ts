// Self-supervised pretraining on unlabeled text: skip-gram with negative sampling learns token
// embeddings from co-occurrence alone (no labels), and the sentiment classifier fine-tunes from
// them. Our users hold far more unlabeled news than labels; this is how that text becomes useful.
import { packModel, readManifest, unpackModel, type ArtifactFile, type ModelArtifact } from './artifact';
import type { TF } from './backend';
import { seededRandom } from '@mercato/synthetic';
import { Tokenizer } from './tokenizer';

export interface PretrainHyperparameters {
  embeddingDim: number;
  window: number;
  negatives: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Cap on (target, context) pairs per epoch, to bound time on large corpora. */
  maxPairs: number;
}

export const DEFAULT_PRETRAIN_HP: PretrainHyperparameters = {
  embeddingDim: 96,
  window: 3,
  negatives: 4,
  epochs: 3,
  batchSize: 2048,
  learningRate: 0.005,
  seed: 7,
  maxPairs: 3_000_000,
};

/** Positive pairs within the window, and negatives drawn from the unigram distribution to the 3/4. */
export function skipGramPairs(
  sequences: Int32Array[],
  vocabSize: number,
  hp: Pick<PretrainHyperparameters, 'window' | 'negatives' | 'seed' | 'maxPairs'>,
): { targets: Int32Array; contexts: Int32Array; labels: Float32Array } {
  const rand = seededRandom(hp.seed);
  const counts = new Float64Array(vocabSize);
  for (const seq of sequences) for (const id of seq) if (id > 2) counts[id] = counts[id] + 1;
  const cumulative = new Float64Array(vocabSize);
  let total = 0;
  for (let i = 0; i < vocabSize; i++) cumulative[i] = total += counts[i] ** 0.75;
  const sampleNegative = (): number => {
    const r = rand() * total;
    let lo = 0;
    let hi = vocabSize - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const targets: number[] = [];
  const contexts: number[] = [];
  const labels: number[] = [];
  outer: for (const seq of sequences) {
    const ids = Array.from(seq).filter((id) => id > 2);
    for (let i = 0; i < ids.length; i++) {
      for (let j = Math.max(0, i - hp.window); j <= Math.min(ids.length - 1, i + hp.window); j++) {
        if (j === i) continue;
        targets.push(ids[i]);
        contexts.push(ids[j]);
        labels.push(1);
        for (let n = 0; n < hp.negatives; n++) {
          targets.push(ids[i]);
          contexts.push(sampleNegative());
          labels.push(0);
        }
        if (labels.length >= hp.maxPairs) break outer;
      }
    }
  }
  return {
    targets: Int32Array.from(targets),
    contexts: Int32Array.from(contexts),
    labels: Float32Array.from(labels),
  };
}

export class PretrainedEmbeddings {
  private constructor(
    readonly tokenizer: Tokenizer,
    readonly dim: number,
    readonly matrix: Float32Array,
    readonly hp: PretrainHyperparameters,
  ) {}

  static async train(
    tf: TF,
    texts: string[],
    tokenizer: Tokenizer,
    hp: PretrainHyperparameters,
    onEpoch: (p: { epoch: number; loss: number; pairsPerSecond: number }) => void = () => undefined,
  ): Promise<PretrainedEmbeddings> {
    const target = tf.input({ shape: [1], dtype: 'int32' });
    const context = tf.input({ shape: [1], dtype: 'int32' });
    const targetEmbedding = tf.layers.embedding({
      inputDim: tokenizer.size,
      outputDim: hp.embeddingDim,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: hp.seed }),
      name: 'target_embedding',
    });
    const contextEmbedding = tf.layers.embedding({
      inputDim: tokenizer.size,
      outputDim: hp.embeddingDim,
      embeddingsInitializer: tf.initializers.randomUniform({
        minval: -0.05,
        maxval: 0.05,
        seed: hp.seed + 1,
      }),
      name: 'context_embedding',
    });
    const t = tf.layers
      .flatten()
      .apply(targetEmbedding.apply(target)) as import('@tensorflow/tfjs').SymbolicTensor;
    const c = tf.layers
      .flatten()
      .apply(contextEmbedding.apply(context)) as import('@tensorflow/tfjs').SymbolicTensor;
    const dot = tf.layers.dot({ axes: 1 }).apply([t, c]);
    const out = tf.layers
      .activation({ activation: 'sigmoid' })
      .apply(dot) as import('@tensorflow/tfjs').SymbolicTensor;
    const model = tf.model({ inputs: [target, context], outputs: out });
    model.compile({ optimizer: tf.train.adam(hp.learningRate), loss: 'binaryCrossentropy' });

    const sequences = texts.map((text) => tokenizer.encode(text));
    try {
      for (let epoch = 1; epoch <= hp.epochs; epoch++) {
        const pairs = skipGramPairs(sequences, tokenizer.size, { ...hp, seed: hp.seed + epoch });
        const n = pairs.labels.length;
        const xs = [
          tf.tensor2d(pairs.targets, [n, 1], 'int32'),
          tf.tensor2d(pairs.contexts, [n, 1], 'int32'),
        ];
        const ys = tf.tensor2d(pairs.labels, [n, 1]);
        const t0 = Date.now();
        const history = await model.fit(xs, ys, {
          batchSize: hp.batchSize,
          epochs: 1,
          shuffle: true,
          verbose: 0,
        });
        xs.forEach((x) => x.dispose());
        ys.dispose();
        onEpoch({
          epoch,
          loss: Number(history.history.loss?.[0]),
          pairsPerSecond: n / ((Date.now() - t0) / 1000),
        });
      }
      const matrix = targetEmbedding.getWeights()[0].dataSync() as Float32Array;
      return new PretrainedEmbeddings(tokenizer, hp.embeddingDim, Float32Array.from(matrix), hp);
    } finally {
      model.dispose();
    }
  }

  /** Cosine-nearest tokens: a quick check that pretraining learned something. */
  nearest(token: string, k = 5): string[] {
    const id = this.tokenizer.idOf(token);
    const d = this.dim;
    const vec = this.matrix.subarray(id * d, (id + 1) * d);
    const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    const nv = norm(vec);
    const scores: [string, number][] = [];
    for (let i = 3; i < this.tokenizer.size; i++) {
      if (i === id) continue;
      const other = this.matrix.subarray(i * d, (i + 1) * d);
      let dot = 0;
      for (let j = 0; j < d; j++) dot += vec[j] * other[j];
      scores.push([this.tokenizer.vocab[i], dot / (nv * norm(other))]);
    }
    return scores
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([t]) => t);
  }

  /** Stored as a one-layer LayersModel (the embedding) with the tokenizer in the manifest. */
  async toArtifact(tf: TF, backend: string, metrics: Record<string, number> = {}): Promise<ModelArtifact> {
    const input = tf.input({ shape: [1], dtype: 'int32' });
    const layer = tf.layers.embedding({
      inputDim: this.tokenizer.size,
      outputDim: this.dim,
      name: 'embedding',
    });
    const model = tf.model({
      inputs: input,
      outputs: layer.apply(input) as import('@tensorflow/tfjs').SymbolicTensor,
    });
    layer.setWeights([tf.tensor2d(this.matrix, [this.tokenizer.size, this.dim])]);
    try {
      return await packModel(tf, model, {
        format: 'mercato-model/v1',
        kind: 'sentiment-embeddings',
        tokenizer: this.tokenizer.toJSON(),
        hyperparameters: { ...this.hp },
        metrics,
        backend,
        createdAt: new Date().toISOString(),
      });
    } finally {
      model.dispose();
    }
  }

  static async fromArtifact(tf: TF, artifact: { files: ArtifactFile[] }): Promise<PretrainedEmbeddings> {
    const manifest = readManifest(artifact);
    if (manifest.kind !== 'sentiment-embeddings' || !manifest.tokenizer)
      throw new Error(`not a pretrained embeddings artifact (kind ${manifest.kind})`);
    const model = await unpackModel(tf, artifact);
    const weights = model.getWeights()[0];
    const [, dim] = weights.shape as [number, number];
    const matrix = Float32Array.from(weights.dataSync() as Float32Array);
    model.dispose();
    return new PretrainedEmbeddings(Tokenizer.fromJSON(manifest.tokenizer), dim, matrix, {
      ...DEFAULT_PRETRAIN_HP,
      ...(manifest.hyperparameters as Partial<PretrainHyperparameters>),
    });
  }
}
