// The sentiment classifier (negative / neutral / positive): token embeddings, a 1-D convolution with
// global max pooling beside mean pooling, a dense layer, softmax. Its embeddings can start from
// self-supervised pretraining on unlabeled text (see pretrain.ts). Training is seeded: the same
// data, hyperparameters and seed give the same model on the same backend.
import {
  packModel,
  unpackModel,
  readManifest,
  type ArtifactFile,
  type ModelArtifact,
  type ModelManifest,
} from './artifact';
import type { TF } from './backend';
import { SENTIMENT_LABELS, type LabeledText } from './datasets';
import { classificationReport, type ClassificationReport } from './metrics';
import { seededShuffle } from '@mercato/synthetic';
import { Tokenizer } from './tokenizer';

type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Tensor = import('@tensorflow/tfjs').Tensor;

export interface SentimentHyperparameters {
  embeddingDim: number;
  filters: number;
  kernelSize: number;
  hidden: number;
  dropout: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  maxLength: number;
  maxVocab: number;
  minCount: number;
  seed: number;
  /** Epochs without validation improvement before stopping early. */
  patience: number;
  validationFraction: number;
}

// Tuned on TFNS (bench/sentiment.ts): wider kernels and a gentler learning rate helped macro-F1.
export const DEFAULT_SENTIMENT_HP: SentimentHyperparameters = {
  embeddingDim: 96,
  filters: 200,
  kernelSize: 5,
  hidden: 64,
  dropout: 0.4,
  epochs: 12,
  batchSize: 64,
  learningRate: 0.001,
  maxLength: 48,
  maxVocab: 20_000,
  minCount: 1,
  seed: 42,
  patience: 3,
  validationFraction: 0.1,
};

export interface EpochProgress {
  epoch: number;
  epochs: number;
  loss: number;
  accuracy: number;
  valLoss: number;
  valAccuracy: number;
  samplesPerSecond: number;
}

export interface TokenWeight {
  token: string;
  weight: number;
}

export interface SentimentPrediction {
  label: number;
  probabilities: [number, number, number];
}

export class SentimentModel {
  private constructor(
    readonly tf: TF,
    readonly model: LayersModel,
    readonly tokenizer: Tokenizer,
    readonly hp: SentimentHyperparameters,
  ) {}

  /** A new, untrained model; pretrained embeddings (vocab × dim, from the same tokenizer) are optional. */
  static create(
    tf: TF,
    tokenizer: Tokenizer,
    hp: SentimentHyperparameters,
    pretrained?: Float32Array,
  ): SentimentModel {
    const { embeddingDim: dim, seed } = hp;
    const input = tf.input({ shape: [tokenizer.config.maxLength], dtype: 'int32', name: 'tokens' });
    const embeddingLayer = tf.layers.embedding({
      inputDim: tokenizer.size,
      outputDim: dim,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
      name: 'embedding',
    });
    const embedded = embeddingLayer.apply(input) as import('@tensorflow/tfjs').SymbolicTensor;
    const dropped = tf.layers.dropout({ rate: hp.dropout / 2, seed: seed + 1 }).apply(embedded);
    const conv = tf.layers
      .conv1d({
        filters: hp.filters,
        kernelSize: hp.kernelSize,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
        name: 'conv',
      })
      .apply(dropped);
    const maxPooled = tf.layers.globalMaxPooling1d({ name: 'max_pool' }).apply(conv);
    const meanPooled = tf.layers.globalAveragePooling1d({ name: 'mean_pool' }).apply(embedded);
    const merged = tf.layers
      .concatenate()
      .apply([maxPooled, meanPooled] as import('@tensorflow/tfjs').SymbolicTensor[]);
    const hidden = tf.layers
      .dense({
        units: hp.hidden,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
        name: 'hidden',
      })
      .apply(merged);
    const hiddenDropped = tf.layers.dropout({ rate: hp.dropout, seed: seed + 4 }).apply(hidden);
    const output = tf.layers
      .dense({
        units: 3,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }),
        name: 'probabilities',
      })
      .apply(hiddenDropped) as import('@tensorflow/tfjs').SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output, name: 'mercato_sentiment' });
    if (pretrained) {
      if (pretrained.length !== tokenizer.size * dim)
        throw new Error('pretrained embeddings do not match the tokenizer and embedding size');
      embeddingLayer.setWeights([tf.tensor2d(pretrained, [tokenizer.size, dim])]);
    }
    return new SentimentModel(tf, model, tokenizer, hp);
  }

  /** Trains with early stopping on a held-out slice of the training data; keeps the best epoch's weights. */
  async fit(
    data: LabeledText[],
    onEpoch: (p: EpochProgress) => void = () => undefined,
  ): Promise<{ epochs: number; seconds: number }> {
    const { tf, hp } = this;
    const shuffled = seededShuffle(data, hp.seed);
    const nVal = Math.max(1, Math.floor(shuffled.length * hp.validationFraction));
    const val = shuffled.slice(0, nVal);
    const train = shuffled.slice(nVal);
    this.model.compile({
      optimizer: tf.train.adam(hp.learningRate),
      loss: 'sparseCategoricalCrossentropy',
      metrics: ['accuracy'],
    });
    const xVal = this.encode(val.map((d) => d.text));
    const yVal = tf.tensor1d(
      val.map((d) => d.label),
      'float32',
    );
    let best = { valLoss: Infinity, weights: [] as Tensor[] };
    let sinceBest = 0;
    const started = Date.now();
    let epoch = 0;
    try {
      for (epoch = 1; epoch <= hp.epochs; epoch++) {
        const order = seededShuffle(train, hp.seed + epoch);
        const x = this.encode(order.map((d) => d.text));
        const y = tf.tensor1d(
          order.map((d) => d.label),
          'float32',
        );
        const t0 = Date.now();
        const history = await this.model.fit(x, y, {
          batchSize: hp.batchSize,
          epochs: 1,
          shuffle: false,
          verbose: 0,
          validationData: [xVal, yVal],
        });
        x.dispose();
        y.dispose();
        const h = history.history;
        const progress: EpochProgress = {
          epoch,
          epochs: hp.epochs,
          loss: Number(h.loss?.[0]),
          accuracy: Number(h.acc?.[0] ?? h.accuracy?.[0]),
          valLoss: Number(h.val_loss?.[0]),
          valAccuracy: Number(h.val_acc?.[0] ?? h.val_accuracy?.[0]),
          samplesPerSecond: order.length / ((Date.now() - t0) / 1000),
        };
        onEpoch(progress);
        if (progress.valLoss < best.valLoss - 1e-4) {
          best.weights.forEach((w) => w.dispose());
          best = { valLoss: progress.valLoss, weights: this.model.getWeights().map((w) => w.clone()) };
          sinceBest = 0;
        } else if (++sinceBest >= hp.patience) {
          break;
        }
      }
      if (best.weights.length > 0) this.model.setWeights(best.weights);
    } finally {
      best.weights.forEach((w) => w.dispose());
      xVal.dispose();
      yVal.dispose();
    }
    return { epochs: Math.min(epoch, hp.epochs), seconds: (Date.now() - started) / 1000 };
  }

  private encode(texts: string[]): Tensor {
    return this.tf.tensor2d(
      this.tokenizer.encodeBatch(texts),
      [texts.length, this.tokenizer.config.maxLength],
      'int32',
    );
  }

  /** Class probabilities in label order (negative, neutral, positive), batched. */
  predict(texts: string[], batchSize = 512): SentimentPrediction[] {
    const out: SentimentPrediction[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const slice = texts.slice(i, i + batchSize);
      const probs = this.tf.tidy(() => (this.model.predict(this.encode(slice)) as Tensor).dataSync());
      for (let j = 0; j < slice.length; j++) {
        const p: [number, number, number] = [probs[j * 3], probs[j * 3 + 1], probs[j * 3 + 2]];
        out.push({ label: p.indexOf(Math.max(...p)), probabilities: p });
      }
    }
    return out;
  }

  /**
   * The tokens that pushed each decision most, by occlusion: how much the predicted class's
   * probability drops when the token is removed. The occluded variants of all texts run as one batch.
   */
  explain(texts: string[], topN = 5): TokenWeight[][] {
    const base = this.predict(texts);
    const tokenLists = texts.map((text) =>
      this.tokenizer.tokenize(text).slice(0, this.tokenizer.config.maxLength),
    );
    const variants = tokenLists.flatMap((tokens) =>
      tokens.map((_, i) => tokens.filter((__, j) => j !== i).join(' ')),
    );
    const probs = this.predict(variants);
    let offset = 0;
    return tokenLists.map((tokens, t) => {
      const { label, probabilities } = base[t] as SentimentPrediction;
      const baseP = probabilities[label] as number;
      const merged = new Map<string, number>();
      tokens.forEach((token, i) => {
        const weight = baseP - ((probs[offset + i] as SentimentPrediction).probabilities[label] as number);
        merged.set(token, Math.max(merged.get(token) ?? -Infinity, weight));
      });
      offset += tokens.length;
      return [...merged]
        .map(([token, weight]) => ({ token, weight }))
        .filter((w) => w.weight > 0)
        .sort((a, b) => b.weight - a.weight)
        .slice(0, topN);
    });
  }

  evaluate(data: LabeledText[]): ClassificationReport {
    const predictions = this.predict(data.map((d) => d.text));
    return classificationReport(
      data.map((d) => d.label),
      predictions.map((p) => p.label),
      [...SENTIMENT_LABELS],
    );
  }

  async toArtifact(
    manifest: Omit<ModelManifest, 'format' | 'kind' | 'labels' | 'tokenizer' | 'hyperparameters'>,
  ): Promise<ModelArtifact> {
    return packModel(this.tf, this.model, {
      format: 'mercato-model/v1',
      kind: 'sentiment',
      labels: [...SENTIMENT_LABELS],
      tokenizer: this.tokenizer.toJSON(),
      hyperparameters: { ...this.hp },
      ...manifest,
    });
  }

  /** Loads a trained model; overrides change training hyperparameters for fine-tuning it further. */
  static async fromArtifact(
    tf: TF,
    artifact: { files: ArtifactFile[] },
    overrides: Partial<SentimentHyperparameters> = {},
  ): Promise<SentimentModel> {
    const manifest = readManifest(artifact);
    if (manifest.kind !== 'sentiment' || !manifest.tokenizer)
      throw new Error(`not a sentiment model artifact (kind ${manifest.kind})`);
    const model = await unpackModel(tf, artifact);
    return new SentimentModel(tf, model, Tokenizer.fromJSON(manifest.tokenizer), {
      ...DEFAULT_SENTIMENT_HP,
      ...(manifest.hyperparameters as Partial<SentimentHyperparameters>),
      ...overrides,
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
