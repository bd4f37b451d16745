// The fast sentiment classifier (negative / neutral / positive) that serves the stream: token
// embeddings, a 1-D convolution with global max pooling beside mean pooling, a dense layer, softmax.
// Two ways to train it: from labels alone (the `cnn` architecture, over the word tokenizer), or as the
// `student` of a fine-tuned transformer, over the teacher's word pieces with embeddings that start
// from the teacher's, learning the teacher's soft labels on unlabeled and augmented text (see
// transformer/distill.ts). Training is seeded: same data, hyperparameters and seed, same model.
import {
  packModel,
  unpackModel,
  readManifest,
  type ArtifactFile,
  type ModelArtifact,
  type ModelManifest,
  type PackOptions,
} from './artifact';
import type { TF } from './backend';
import { SENTIMENT_LABELS, type LabeledText } from './datasets';
import { betterEpoch, classificationReport, type ClassificationReport } from './metrics';
import { seededShuffle } from '@mercato/synthetic';
import { Tokenizer, topWords, type SequenceEncoder } from './tokenizer';
import { wordScores, type UnknownPieceStats } from './transformer/wordpiece';
import { PieceSequenceEncoder } from './transformer/wordpiece-sequence';

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
  /** 1: the embedding table learns; 0: it stays as initialized (a student keeps the teacher's geometry). */
  trainEmbeddings: number;
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
  trainEmbeddings: 1,
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
  valMacroF1: number;
  samplesPerSecond: number;
}

const oneHot = (label: number): [number, number, number] => [
  label === 0 ? 1 : 0,
  label === 1 ? 1 : 0,
  label === 2 ? 1 : 0,
];

export interface TokenWeight {
  token: string;
  weight: number;
}

export interface SentimentPrediction {
  label: number;
  probabilities: [number, number, number];
}

/** A prediction with the words that pushed it most. */
export interface ClassifiedText extends SentimentPrediction {
  topTokens: TokenWeight[];
}

/** The label with the highest probability (the first of equals). */
export const labelOf = (probabilities: readonly number[]): number =>
  probabilities.indexOf(Math.max(...probabilities));

/** The prediction of row `row` of a batch's probabilities (three per row, in label order). */
export function predictionAt(probs: ArrayLike<number>, row: number): SentimentPrediction {
  const p: [number, number, number] = [
    probs[row * 3] as number,
    probs[row * 3 + 1] as number,
    probs[row * 3 + 2] as number,
  ];
  return { label: labelOf(p), probabilities: p };
}

/** The classification report of predictions on labeled data, with the predictions' calibration. */
export const reportOf = (
  data: readonly LabeledText[],
  predictions: readonly SentimentPrediction[],
): ClassificationReport =>
  classificationReport(
    data.map((d) => d.label),
    predictions.map((p) => p.label),
    [...SENTIMENT_LABELS],
    predictions.map((p) => Math.max(...p.probabilities)),
  );

/** A training example whose target is a distribution (a teacher's soft label) rather than one class. */
export interface SoftLabeledText {
  text: string;
  /** Probabilities in label order; `label` is its argmax. */
  target: [number, number, number];
  label: number;
}

export type SentimentArchitecture = 'cnn' | 'student' | 'transformer';

export interface CnnFitOptions {
  onEpoch?: (p: EpochProgress) => void;
  /** Labeled data to stop early on (macro-F1); by default a seeded slice of the training data. */
  validation?: LabeledText[];
  shouldStop?: () => boolean;
}

export class SentimentModel {
  private constructor(
    readonly tf: TF,
    readonly model: LayersModel,
    readonly tokenizer: SequenceEncoder,
    readonly hp: SentimentHyperparameters,
    readonly architecture: 'cnn' | 'student',
  ) {}

  /**
   * A new, untrained model; initial embeddings (vocab x embeddingDim, rows in the tokenizer's
   * order) are optional. Over word pieces it is a `student`, over words a `cnn`.
   */
  static create(
    tf: TF,
    tokenizer: SequenceEncoder,
    hp: SentimentHyperparameters,
    pretrained?: Float32Array,
  ): SentimentModel {
    const { embeddingDim: dim, seed } = hp;
    const input = tf.input({ shape: [tokenizer.maxLength], dtype: 'int32', name: 'tokens' });
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
      const table = tf.tensor2d(pretrained, [tokenizer.size, dim]);
      embeddingLayer.setWeights([table]);
      table.dispose();
    }
    embeddingLayer.trainable = hp.trainEmbeddings !== 0;
    return new SentimentModel(tf, model, tokenizer, hp, tokenizer instanceof Tokenizer ? 'cnn' : 'student');
  }

  /**
   * Trains on hard labels, soft targets (a teacher's probabilities) or a mix, with early stopping on
   * validation macro-F1 (a seeded labeled slice of `data` unless `validation` is given); keeps the
   * best epoch's weights.
   */
  async fit(
    data: (LabeledText | SoftLabeledText)[],
    options: CnnFitOptions | ((p: EpochProgress) => void) = {},
  ): Promise<{ epochs: number; seconds: number; bestValMacroF1: number }> {
    const { tf, hp } = this;
    const { onEpoch, validation, shouldStop } =
      typeof options === 'function' ? { onEpoch: options } : options;
    let train = data;
    let val: LabeledText[];
    if (validation) {
      val = validation;
    } else {
      const shuffled = seededShuffle(data, hp.seed);
      const nVal = Math.max(1, Math.floor(shuffled.length * hp.validationFraction));
      val = shuffled.slice(0, nVal).map((d) => ({ text: d.text, label: d.label }));
      train = shuffled.slice(nVal);
    }
    this.model.compile({
      optimizer: tf.train.adam(hp.learningRate),
      loss: 'categoricalCrossentropy',
      metrics: ['accuracy'],
    });
    let best = { macroF1: -1, loss: Infinity, weights: [] as Tensor[] };
    let sinceBest = 0;
    const started = Date.now();
    let epoch = 0;
    try {
      for (epoch = 1; epoch <= hp.epochs; epoch++) {
        // A turn of the event loop between epochs: a worker thread's cancel message gets through.
        await new Promise((resolve) => setImmediate(resolve));
        if (shouldStop?.()) break;
        const order = seededShuffle(train, hp.seed + epoch);
        const x = this.encode(order.map((d) => d.text));
        const y = tf.tensor2d(
          order.flatMap((d) => ('target' in d ? d.target : oneHot(d.label))),
          [order.length, 3],
        );
        const t0 = Date.now();
        const history = await this.model.fit(x, y, {
          batchSize: hp.batchSize,
          epochs: 1,
          shuffle: false,
          verbose: 0,
        });
        x.dispose();
        y.dispose();
        const predictions = this.predict(val.map((d) => d.text));
        const report = reportOf(val, predictions);
        const valLoss =
          -val.reduce(
            (sum, d, i) => sum + Math.log(Math.max(1e-12, predictions[i]?.probabilities[d.label] ?? 0)),
            0,
          ) / Math.max(1, val.length);
        const h = history.history;
        onEpoch?.({
          epoch,
          epochs: hp.epochs,
          loss: Number(h.loss?.[0]),
          accuracy: Number(h.acc?.[0] ?? h.accuracy?.[0]),
          valLoss,
          valAccuracy: report.accuracy,
          valMacroF1: report.macroF1,
          samplesPerSecond: order.length / ((Date.now() - t0) / 1000),
        });
        if (betterEpoch({ macroF1: report.macroF1, loss: valLoss }, best)) {
          best.weights.forEach((w) => w.dispose());
          best = {
            macroF1: report.macroF1,
            loss: valLoss,
            weights: this.model.getWeights().map((w) => w.clone()),
          };
          sinceBest = 0;
        } else if (++sinceBest >= hp.patience) {
          break;
        }
      }
      if (best.weights.length > 0) this.model.setWeights(best.weights);
    } finally {
      best.weights.forEach((w) => w.dispose());
    }
    return {
      epochs: Math.min(epoch, hp.epochs),
      seconds: (Date.now() - started) / 1000,
      bestValMacroF1: best.macroF1,
    };
  }

  private encode(texts: string[]): Tensor {
    return this.tf.tensor2d(
      this.tokenizer.encodeBatch(texts),
      [texts.length, this.tokenizer.maxLength],
      'int32',
    );
  }

  /** Class probabilities in label order (negative, neutral, positive), batched. */
  predict(texts: string[], batchSize = 512): SentimentPrediction[] {
    const out: SentimentPrediction[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const slice = texts.slice(i, i + batchSize);
      const probs = this.tf.tidy(() => {
        const { embedded, convolved } = this.embed(slice);
        return this.probabilitiesFromEmbedded(embedded, convolved).dataSync();
      });
      for (let j = 0; j < slice.length; j++) out.push(predictionAt(probs, j));
    }
    return out;
  }

  /** The words that pushed each decision most (see classify). */
  explain(texts: string[], topN = 5, batchSize = 256): TokenWeight[][] {
    return this.classify(texts, topN, batchSize).map((c) => c.topTokens);
  }

  /**
   * Each text's prediction (as `predict` gives it) and the words that pushed it most, by gradient x
   * input: how much each position's embedding pushes the predicted class's log probability (summed
   * over the embedding dimension), summed over the pieces of each word. The probabilities come from
   * the forward pass the gradient needs, so both cost one forward and one backward pass per batch.
   */
  classify(texts: string[], topN = 5, batchSize = 256): ClassifiedText[] {
    const { tf } = this;
    const out: ClassifiedText[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const slice = texts.slice(i, i + batchSize);
      let probs: ArrayLike<number> = [];
      const perPosition = tf.tidy(() => {
        const { embedded, convolved } = this.embed(slice);
        // The max of the log-probabilities is the predicted class's: its gradient flows through
        // that class only.
        const grad = tf.grad((e: Tensor) => {
          const probabilities = this.probabilitiesFromEmbedded(e, convolved);
          probs = probabilities.dataSync();
          return tf.sum(tf.max(tf.log(tf.add(probabilities, 1e-12)), -1));
        })(embedded);
        return tf.sum(tf.mul(grad, embedded), -1);
      });
      // One flat array (a row of maxLength per text), read outside the scope: a nested array
      // returned from tidy would be walked element by element looking for tensors.
      const attributions = perPosition.dataSync();
      perPosition.dispose();
      const n = this.tokenizer.maxLength;
      slice.forEach((text, j) => {
        const positions = this.tokenizer.wordPositions(text);
        out.push({
          ...predictionAt(probs, j),
          topTokens: topWords(
            positions.words,
            wordScores(positions, attributions.subarray(j * n, (j + 1) * n)),
            topN,
          ),
        });
      });
    }
    return out;
  }

  /**
   * The texts' embedded rows (maxLength positions each), and how many leading positions the
   * convolution has to see: the longest row plus the kernel, at most maxLength. Rows are
   * right-padded, so past that every window of the convolution ('same' padding) holds padding
   * only and gives one and the same output, which the first such window already gives the max
   * pooling; the windows at the end that reach past the row see padding then zeros, in the
   * shortened run as in the full one. Max pooling over the shortened convolution is the full
   * one's, for a fraction of the work on headlines (a third of maxLength or less).
   */
  private embed(texts: string[]): { embedded: Tensor; convolved: number } {
    const { tokenizer } = this;
    const n = tokenizer.maxLength;
    const ids = tokenizer.encodeBatch(texts);
    let longest = 0;
    for (let r = 0; r < texts.length && longest < n; r++) {
      let end = (r + 1) * n;
      while (end > r * n + longest && ids[end - 1] === tokenizer.padId) end--;
      longest = end - r * n;
    }
    const conv = this.model.getLayer('conv').getConfig() as { padding?: string; kernelSize?: number[] };
    const kernel = conv.kernelSize?.[0] ?? n;
    const convolved = conv.padding === 'same' ? Math.min(n, longest + kernel) : n;
    const embedded = this.model
      .getLayer('embedding')
      .apply(this.tf.tensor2d(ids, [texts.length, n], 'int32')) as Tensor;
    return { embedded, convolved };
  }

  /**
   * The layers after the embedding, in inference mode (dropout off), applied to embedded rows; the
   * convolution over their first `convolved` positions (see embed), the mean pooling over all.
   */
  private probabilitiesFromEmbedded(embedded: Tensor, convolved: number): Tensor {
    const { tf, model } = this;
    const layer = (name: string): import('@tensorflow/tfjs').layers.Layer => model.getLayer(name);
    const leading =
      convolved < this.tokenizer.maxLength ? tf.slice(embedded, [0, 0, 0], [-1, convolved, -1]) : embedded;
    const maxPooled = layer('max_pool').apply(layer('conv').apply(leading)) as Tensor;
    const meanPooled = layer('mean_pool').apply(embedded) as Tensor;
    const hidden = layer('hidden').apply(tf.concat([maxPooled, meanPooled], -1));
    return layer('probabilities').apply(hidden) as Tensor;
  }

  unknownStats(texts: string[]): UnknownPieceStats {
    return this.tokenizer.unknownStats(texts);
  }

  evaluate(data: LabeledText[]): ClassificationReport {
    return reportOf(data, this.predict(data.map((d) => d.text)));
  }

  async toArtifact(
    manifest: Omit<ModelManifest, 'format' | 'kind' | 'labels' | 'tokenizer' | 'hyperparameters'>,
    options: PackOptions = {},
  ): Promise<ModelArtifact> {
    const encoder = this.tokenizer;
    const artifact = await packModel(
      this.tf,
      this.model,
      {
        format: 'mercato-model/v1',
        kind: 'sentiment',
        labels: [...SENTIMENT_LABELS],
        ...(encoder instanceof Tokenizer ? { tokenizer: encoder.toJSON() } : {}),
        hyperparameters: { ...this.hp },
        ...manifest,
        extra: {
          ...manifest.extra,
          architecture: this.architecture,
          ...(encoder instanceof PieceSequenceEncoder ? { tokenizer: encoder.describe() } : {}),
        },
      },
      options,
    );
    if (encoder instanceof PieceSequenceEncoder) artifact.files.push(encoder.file());
    return artifact;
  }

  /** Loads a trained model; overrides change training hyperparameters for fine-tuning it further. */
  static async fromArtifact(
    tf: TF,
    artifact: { files: ArtifactFile[] },
    overrides: Partial<SentimentHyperparameters> = {},
  ): Promise<SentimentModel> {
    const manifest = readManifest(artifact);
    const architecture = sentimentArchitecture(manifest);
    if (manifest.kind !== 'sentiment' || architecture === 'transformer')
      throw new Error(
        `not a CNN sentiment model artifact (kind ${manifest.kind}, architecture ${architecture})`,
      );
    const encoder: SequenceEncoder =
      architecture === 'student'
        ? PieceSequenceEncoder.fromArtifact(artifact, manifest)
        : wordTokenizerOf(manifest);
    const model = await unpackModel(tf, artifact);
    return new SentimentModel(
      tf,
      model,
      encoder,
      {
        ...DEFAULT_SENTIMENT_HP,
        ...(manifest.hyperparameters as Partial<SentimentHyperparameters>),
        ...overrides,
      },
      architecture,
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The architecture a sentiment manifest declares; artifacts from before architectures were named are CNNs. */
export function sentimentArchitecture(manifest: ModelManifest): SentimentArchitecture {
  const declared = (manifest.extra as { architecture?: unknown } | undefined)?.architecture ?? 'cnn';
  if (declared !== 'cnn' && declared !== 'student' && declared !== 'transformer')
    throw new Error(`unknown sentiment architecture ${JSON.stringify(declared)}`);
  return declared;
}

function wordTokenizerOf(manifest: ModelManifest): Tokenizer {
  if (!manifest.tokenizer) throw new Error('CNN sentiment artifact has no tokenizer in its manifest');
  return Tokenizer.fromJSON(manifest.tokenizer);
}
