// The teacher tier of sentiment: a pretrained BERT encoder (all-MiniLM-L6-v2) with a classification
// head on its mean-pooled output, fine-tuned on labeled financial text. Fine-tuning is BERT's recipe:
// AdamW with linear warm-up and decay, gradient clipping, dropout, class weights for the skewed
// label mix, the top N encoder layers trainable (all by default), early stopping on validation
// macro-F1 with the best epoch's weights kept. Batches are grouped by length so short headlines do
// not pay for long ones. Explanations are gradient x input over word pieces, merged back to words.
// The whole model saves as a TF.js LayersModel (custom layers from bert.ts) plus the tokenizer.json.
import type { ArtifactFile, ModelArtifact, ModelManifest } from '../artifact';
import { packModel, readManifest, unpackModel } from '../artifact';
import type { TF } from '../backend';
import { SENTIMENT_LABELS, type LabeledText } from '../datasets';
import { betterEpoch, type ClassificationReport } from '../metrics';
import { seededShuffle, stratifiedSplit } from '@mercato/synthetic';
import {
  predictionAt,
  reportOf,
  type ClassifiedText,
  type EpochProgress,
  type SentimentPrediction,
  type TokenWeight,
} from '../sentiment';
import { AdamW, warmupLinearDecay } from './adamw';
import { bertGraph, loadBertWeights, type BertConfig, type BertEmbeddings, type BertBlock } from './bert';
import type { SafeTensor } from './safetensors';
import { topWords } from '../tokenizer';
import { wordScores, type UnknownPieceStats } from './wordpiece';
import { PieceSequenceEncoder } from './wordpiece-sequence';

type Tensor = import('@tensorflow/tfjs').Tensor;
type Variable = import('@tensorflow/tfjs').Variable;
type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Layer = import('@tensorflow/tfjs').layers.Layer;

export interface TransformerHyperparameters {
  learningRate: number;
  epochs: number;
  batchSize: number;
  /** Fraction of all steps spent warming the learning rate up. */
  warmupFraction: number;
  weightDecay: number;
  /** Encoder layers fine-tuned, counted from the top (the rest stay frozen); at least the layer count: all. */
  trainLayers: number;
  /** Whether the embedding tables are fine-tuned too (the word table is a third of all weights). */
  trainEmbeddings: boolean;
  dropout: number;
  attentionDropout: number;
  /** Word pieces per text, [CLS] and [SEP] included. */
  maxLength: number;
  /** 'balanced' weighs each class by n / (classes x count); 'none' weighs all examples alike. */
  classWeighting: 'balanced' | 'none';
  labelSmoothing: number;
  gradientClip: number;
  patience: number;
  validationFraction: number;
  /** Initialization of the head and the validation split. */
  seed: number;
  /**
   * Shuffling and dropout; -1: the seed. Runs that share `seed` and differ here start from the same
   * weights and can be averaged into one model (a weight soup, see `averageWeights`).
   */
  dataSeed: number;
}

export const DEFAULT_TRANSFORMER_HP: TransformerHyperparameters = {
  learningRate: 1e-4,
  epochs: 4,
  batchSize: 32,
  warmupFraction: 0.1,
  weightDecay: 0.01,
  trainLayers: 6,
  trainEmbeddings: false,
  dropout: 0.1,
  attentionDropout: 0,
  maxLength: 64,
  classWeighting: 'none',
  labelSmoothing: 0,
  gradientClip: 1,
  patience: 2,
  validationFraction: 0.1,
  seed: 42,
  dataSeed: -1,
};

/** Where the pretrained encoder came from, recorded in every manifest built on it. */
export interface EncoderSource {
  name: string;
  /** SHA-256 of the safetensors weights it started from. */
  weightsSha256: string;
  package?: string;
}

export interface StepProgress {
  step: number;
  steps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradientNorm: number;
  samplesPerSecond: number;
}

export interface FitOptions {
  onEpoch?: (p: EpochProgress & { valMacroF1: number }) => void;
  onStep?: (p: StepProgress) => void;
  /** Checked between steps: true stops training (the best weights so far are kept). */
  shouldStop?: () => boolean;
  /** Steps between onStep calls. */
  stepEvery?: number;
}

interface Batch {
  ids: Tensor;
  mask: Tensor;
  rows: number[];
}

export class TransformerSentimentModel {
  readonly architecture = 'transformer' as const;
  private readonly embeddings: BertEmbeddings;
  private readonly blocks: BertBlock[];
  private readonly pooling: Layer;
  private readonly headDropout: Layer;
  private readonly logits: Layer;

  private constructor(
    readonly tf: TF,
    readonly model: LayersModel,
    readonly pieces: PieceSequenceEncoder,
    readonly hp: TransformerHyperparameters,
    readonly encoder: EncoderSource,
  ) {
    this.embeddings = model.getLayer('embeddings') as BertEmbeddings;
    this.blocks = model.layers.filter((l) => l.name.startsWith('layer_')) as BertBlock[];
    this.pooling = model.getLayer('mean_pooling');
    this.headDropout = model.getLayer('head_dropout');
    this.logits = model.getLayer('logits');
  }

  /** A classifier on a pretrained encoder; the head starts from seeded random weights. */
  static fromPretrained(
    tf: TF,
    encoder: {
      config: BertConfig;
      tokenizerJson: string;
      tensors: Map<string, SafeTensor>;
      source: EncoderSource;
    },
    overrides: Partial<TransformerHyperparameters> = {},
  ): TransformerSentimentModel {
    const hp = { ...DEFAULT_TRANSFORMER_HP, ...overrides };
    validateHyperparameters(hp, encoder.config);
    const pieces = PieceSequenceEncoder.fromJSON(
      encoder.tokenizerJson,
      hp.maxLength,
      encoder.config.vocabSize,
    );
    const graph = bertGraph(tf, encoder.config, {
      dropout: hp.dropout,
      attentionDropout: hp.attentionDropout,
      seed: dataSeedOf(hp),
    });
    const dropped = tf.layers
      .dropout({ rate: hp.dropout, seed: dataSeedOf(hp) + 7, name: 'head_dropout' })
      .apply(graph.pooled);
    const logits = tf.layers
      .dense({
        units: SENTIMENT_LABELS.length,
        kernelInitializer: tf.initializers.truncatedNormal({ stddev: 0.02, seed: hp.seed + 8 }),
        name: 'logits',
      })
      .apply(dropped) as import('@tensorflow/tfjs').SymbolicTensor;
    const probabilities = tf.layers
      .activation({ activation: 'softmax', name: 'probabilities' })
      .apply(logits);
    const model = tf.model({
      inputs: [graph.ids, graph.mask],
      outputs: probabilities as import('@tensorflow/tfjs').SymbolicTensor,
      name: 'mercato_sentiment_transformer',
    });
    loadBertWeights(tf, graph, encoder.config, encoder.tensors);
    return new TransformerSentimentModel(tf, model, pieces, hp, encoder.source);
  }

  /** Logits through the layers one by one, so training can switch dropout on. */
  private forwardLogits(ids: Tensor, mask: Tensor, training: boolean): Tensor {
    const kwargs = { training };
    let hidden = this.embeddings.apply(ids, kwargs) as Tensor;
    for (const block of this.blocks) hidden = block.apply([hidden, mask], kwargs) as Tensor;
    const pooled = this.pooling.apply([hidden, mask]) as Tensor;
    return this.logits.apply(this.headDropout.apply(pooled, kwargs)) as Tensor;
  }

  private encodeAll(texts: string[]): Int32Array[] {
    return texts.map((t) => this.pieces.encode(t).ids);
  }

  /** Padded id and mask tensors for the given rows, as long as the longest of them. */
  private batch(encoded: Int32Array[], rows: number[]): Batch {
    const length = Math.max(2, ...rows.map((r) => (encoded[r] as Int32Array).length));
    const ids = new Int32Array(rows.length * length);
    const mask = new Float32Array(rows.length * length);
    rows.forEach((r, i) => {
      const row = encoded[r] as Int32Array;
      ids.set(row, i * length);
      mask.fill(1, i * length, i * length + row.length);
    });
    return {
      ids: this.tf.tensor2d(ids, [rows.length, length], 'int32'),
      mask: this.tf.tensor2d(mask, [rows.length, length], 'float32'),
      rows,
    };
  }

  /** Batches of similar lengths: rows sorted by length inside windows of 50 batches. */
  private lengthBatches(
    encoded: Int32Array[],
    order: number[],
    batchSize: number,
    shuffleSeed?: number,
  ): number[][] {
    const window = batchSize * 50;
    const batches: number[][] = [];
    for (let i = 0; i < order.length; i += window) {
      const chunk = order
        .slice(i, i + window)
        .sort((a, b) => (encoded[a] as Int32Array).length - (encoded[b] as Int32Array).length);
      for (let j = 0; j < chunk.length; j += batchSize) batches.push(chunk.slice(j, j + batchSize));
    }
    return shuffleSeed === undefined ? batches : seededShuffle(batches, shuffleSeed);
  }

  /** The variables fine-tuning updates: the top `trainLayers` blocks, the head, optionally embeddings. */
  private trainableVariables(): Variable[] {
    const layers: Layer[] = [
      ...(this.hp.trainEmbeddings ? [this.embeddings] : []),
      ...this.blocks.slice(Math.max(0, this.blocks.length - this.hp.trainLayers)),
      this.logits,
    ];
    return layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as Variable));
  }

  /**
   * Fine-tunes on `data`, holding out `validationFraction` of it (stratified by label) for early
   * stopping on macro-F1. Returns the epochs run and the wall time.
   */
  async fit(
    data: LabeledText[],
    options: FitOptions = {},
  ): Promise<{ epochs: number; seconds: number; bestValMacroF1: number }> {
    const { tf, hp } = this;
    const started = Date.now();
    const { train, test: validation } = stratifiedSplit(data, hp.validationFraction, hp.seed, (d) => d.label);
    const encodedTrain = this.encodeAll(train.map((d) => d.text));
    const encodedVal = this.encodeAll(validation.map((d) => d.text));
    const counts = SENTIMENT_LABELS.map((_, c) => train.filter((d) => d.label === c).length);
    const classWeights = SENTIMENT_LABELS.map((_, c) =>
      hp.classWeighting === 'balanced' && counts[c]
        ? train.length / (SENTIMENT_LABELS.length * (counts[c] as number))
        : 1,
    );
    const vars = this.trainableVariables();
    const noDecay = new Set(
      [this.embeddings, ...this.blocks, this.logits].flatMap((l) =>
        l.trainableWeights.filter((w) => /bias|gamma|beta/.test(w.name)).map((w) => w.read().id),
      ),
    );
    const optimizer = new AdamW(tf, vars, { weightDecay: hp.weightDecay, noDecay: (v) => noDecay.has(v.id) });
    const stepsPerEpoch = Math.ceil(train.length / hp.batchSize);
    const totalSteps = stepsPerEpoch * hp.epochs;
    const warmup = Math.round(totalSteps * hp.warmupFraction);
    const weightsTensor = tf.tensor1d(classWeights);
    let best = { macroF1: -1, loss: Infinity, weights: [] as Tensor[] };
    let sinceBest = 0;
    let step = 0;
    let epochsRun = 0;
    let stopped = false;
    try {
      for (let epoch = 1; epoch <= hp.epochs && !stopped; epoch++) {
        epochsRun = epoch;
        const order = seededShuffle(
          train.map((_, i) => i),
          dataSeedOf(hp) + epoch,
        );
        const batches = this.lengthBatches(encodedTrain, order, hp.batchSize, dataSeedOf(hp) * 7 + epoch);
        let lossSum = 0;
        let correct = 0;
        const epochStarted = Date.now();
        let windowStarted = Date.now();
        let windowSamples = 0;
        for (const rows of batches) {
          // A turn of the event loop between steps: a worker thread's cancel message gets through.
          await new Promise((resolve) => setImmediate(resolve));
          if (options.shouldStop?.()) {
            stopped = true;
            break;
          }
          const batch = this.batch(encodedTrain, rows);
          const labels = tf.tensor1d(
            rows.map((r) => (train[r] as LabeledText).label),
            'int32',
          );
          const lr = warmupLinearDecay(step, totalSteps, warmup, hp.learningRate);
          const { value, grads } = tf.variableGrads(() => {
            const logits = this.forwardLogits(batch.ids, batch.mask, true);
            correct += tf.tidy(
              () => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'int32')).dataSync()[0] as number,
            );
            return softmaxCrossEntropy(
              tf,
              logits,
              labels,
              weightsTensor,
              hp.labelSmoothing,
            ) as import('@tensorflow/tfjs').Scalar;
          }, vars);
          const gradientNorm = optimizer.apply(
            vars.map((v) => grads[v.name] as Tensor),
            lr,
            hp.gradientClip,
          );
          const loss = value.dataSync()[0] as number;
          tf.dispose([value, labels, batch.ids, batch.mask, ...Object.values(grads)]);
          lossSum += loss * rows.length;
          step++;
          windowSamples += rows.length;
          if (options.onStep && step % (options.stepEvery ?? 20) === 0) {
            options.onStep({
              step,
              steps: totalSteps,
              epoch,
              loss,
              learningRate: lr,
              gradientNorm,
              samplesPerSecond: windowSamples / Math.max(1e-3, (Date.now() - windowStarted) / 1000),
            });
            windowStarted = Date.now();
            windowSamples = 0;
          }
        }
        const seen = batches.reduce((n, b) => n + b.length, 0);
        const val = this.evaluateEncoded(encodedVal, validation);
        options.onEpoch?.({
          epoch,
          epochs: hp.epochs,
          loss: lossSum / Math.max(1, seen),
          accuracy: correct / Math.max(1, seen),
          valLoss: val.loss,
          valAccuracy: val.report.accuracy,
          valMacroF1: val.report.macroF1,
          samplesPerSecond: seen / Math.max(1e-3, (Date.now() - epochStarted) / 1000),
        });
        if (betterEpoch({ macroF1: val.report.macroF1, loss: val.loss }, best)) {
          tf.dispose(best.weights);
          best = { macroF1: val.report.macroF1, loss: val.loss, weights: vars.map((v) => tf.clone(v)) };
          sinceBest = 0;
        } else if (++sinceBest >= hp.patience) {
          break;
        }
      }
      if (best.weights.length > 0) vars.forEach((v, i) => v.assign(best.weights[i] as Tensor));
    } finally {
      tf.dispose(best.weights);
      weightsTensor.dispose();
      optimizer.dispose();
    }
    return {
      epochs: epochsRun,
      seconds: (Date.now() - started) / 1000,
      bestValMacroF1: best.macroF1,
    };
  }

  private evaluateEncoded(
    encoded: Int32Array[],
    data: LabeledText[],
  ): { loss: number; report: ClassificationReport } {
    const probs = this.predictEncoded(encoded);
    let loss = 0;
    data.forEach((d, i) => {
      loss -= Math.log(Math.max(1e-12, (probs[i] as SentimentPrediction).probabilities[d.label] as number));
    });
    return {
      loss: loss / Math.max(1, data.length),
      report: reportOf(data, probs),
    };
  }

  private predictEncoded(encoded: Int32Array[], batchSize = 64): SentimentPrediction[] {
    const { tf } = this;
    const out: SentimentPrediction[] = new Array<SentimentPrediction>(encoded.length);
    const order = encoded.map((_, i) => i);
    for (const rows of this.lengthBatches(encoded, order, batchSize)) {
      const batch = this.batch(encoded, rows);
      const probs = tf.tidy(() => tf.softmax(this.forwardLogits(batch.ids, batch.mask, false)).dataSync());
      tf.dispose([batch.ids, batch.mask]);
      rows.forEach((r, j) => (out[r] = predictionAt(probs, j)));
    }
    return out;
  }

  /** Class probabilities in label order (negative, neutral, positive), batched by length. */
  predict(texts: string[], batchSize = 64): SentimentPrediction[] {
    return this.predictEncoded(this.encodeAll(texts), batchSize);
  }

  /** The words that pushed each decision most (see classify). */
  explain(texts: string[], topN = 5, batchSize = 32): TokenWeight[][] {
    return this.classify(texts, topN, batchSize).map((c) => c.topTokens);
  }

  /**
   * Each text's prediction and the words that pushed it, by gradient x input: how much each word
   * piece's embedding pushes the predicted class's log probability, summed over the hidden
   * dimension, then summed over the pieces of each word. The probabilities come from the forward
   * pass the gradient needs: one forward and one backward pass per batch.
   */
  classify(texts: string[], topN = 5, batchSize = 32): ClassifiedText[] {
    const { tf } = this;
    const encodings = texts.map((t) => this.pieces.encode(t));
    const encoded = encodings.map((e) => e.ids);
    const out: ClassifiedText[] = new Array<ClassifiedText>(texts.length);
    for (const rows of this.lengthBatches(
      encoded,
      encoded.map((_, i) => i),
      batchSize,
    )) {
      const batch = this.batch(encoded, rows);
      let probs: ArrayLike<number> = [];
      const attributions = tf.tidy(() => {
        const embedded = this.embeddings.apply(batch.ids, { training: false }) as Tensor;
        // The max of the log-probabilities is the predicted class's: its gradient flows through
        // that class only.
        const grad = tf.grad((e: Tensor) => {
          const logits = this.logitsFromEmbedded(e, batch.mask);
          probs = tf.softmax(logits).dataSync();
          return tf.sum(tf.max(tf.logSoftmax(logits), -1));
        })(embedded);
        return tf.sum(tf.mul(grad, embedded), -1).arraySync() as number[][];
      });
      tf.dispose([batch.ids, batch.mask]);
      rows.forEach((r, j) => {
        const encoding = encodings[r] as (typeof encodings)[number];
        const words = encoding.words.map((w) => w.text.toLowerCase());
        out[r] = {
          ...predictionAt(probs, j),
          topTokens: topWords(words, wordScores(encoding, attributions[j] as number[]), topN),
        };
      });
    }
    return out;
  }

  private logitsFromEmbedded(embedded: Tensor, mask: Tensor): Tensor {
    let hidden = embedded;
    for (const block of this.blocks) hidden = block.apply([hidden, mask], { training: false }) as Tensor;
    return this.logits.apply(this.pooling.apply([hidden, mask])) as Tensor;
  }

  /**
   * Replaces this model's weights by the mean of its own and the others' (a uniform weight soup).
   * Meaningful for fine-tunes of the same encoder with the same head initialization (same `seed`):
   * they stay in one basin, and their average usually beats each of them.
   */
  averageWith(others: TransformerSentimentModel[]): void {
    const { tf } = this;
    const mine = this.model.weights;
    for (const other of others)
      if (other.model.weights.length !== mine.length)
        throw new Error('cannot average models of different architectures');
    mine.forEach((w, i) => {
      const mean = tf.tidy(() =>
        tf.div(
          tf.addN([w.read(), ...others.map((o) => (o.model.weights[i] as typeof w).read())]),
          others.length + 1,
        ),
      );
      w.write(mean);
      mean.dispose();
    });
  }

  /** The word-piece embedding table (rows in tokenizer id order): where a student's table starts. */
  wordEmbeddings(): { values: Float32Array; rows: number; cols: number } {
    const table = this.embeddings.weights[0];
    if (!table) throw new Error('the encoder has no embedding table');
    const [rows, cols] = table.shape as [number, number];
    return { values: table.read().dataSync() as Float32Array, rows, cols };
  }

  unknownStats(texts: string[]): UnknownPieceStats {
    return this.pieces.unknownStats(texts);
  }

  evaluate(data: LabeledText[]): ClassificationReport {
    return reportOf(data, this.predict(data.map((d) => d.text)));
  }

  async toArtifact(
    manifest: Omit<ModelManifest, 'format' | 'kind' | 'labels' | 'tokenizer' | 'hyperparameters'>,
  ): Promise<ModelArtifact> {
    const artifact = await packModel(
      this.tf,
      this.model,
      {
        format: 'mercato-model/v1',
        kind: 'sentiment',
        labels: [...SENTIMENT_LABELS],
        hyperparameters: { ...this.hp },
        ...manifest,
        extra: {
          ...manifest.extra,
          architecture: 'transformer',
          encoder: this.encoder,
          tokenizer: this.pieces.describe(),
        },
      },
      { weightDtype: 'float16' },
    );
    artifact.files.push(this.pieces.file());
    return artifact;
  }

  static async fromArtifact(
    tf: TF,
    artifact: { files: ArtifactFile[] },
    overrides: Partial<TransformerHyperparameters> = {},
  ): Promise<TransformerSentimentModel> {
    const manifest = readManifest(artifact);
    const extra = (manifest.extra ?? {}) as { architecture?: string; encoder?: EncoderSource };
    if (manifest.kind !== 'sentiment' || extra.architecture !== 'transformer')
      throw new Error(
        `not a transformer sentiment artifact (kind ${manifest.kind}, architecture ${String(extra.architecture)})`,
      );
    const pieces = PieceSequenceEncoder.fromArtifact(artifact, manifest);
    const model = await unpackModel(tf, artifact);
    const hp = {
      ...DEFAULT_TRANSFORMER_HP,
      ...(manifest.hyperparameters as Partial<TransformerHyperparameters>),
      ...overrides,
    };
    const embeddingRows = model.getLayer('embeddings').weights[0]?.shape[0];
    if (embeddingRows !== pieces.size) {
      model.dispose();
      throw new Error(
        `tokenizer has ${pieces.size} entries but the weights' embedding matrix has ${String(embeddingRows)} rows`,
      );
    }
    return new TransformerSentimentModel(
      tf,
      model,
      pieces,
      hp,
      extra.encoder ?? { name: 'unknown', weightsSha256: '' },
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}

const dataSeedOf = (hp: TransformerHyperparameters): number => (hp.dataSeed < 0 ? hp.seed : hp.dataSeed);

function validateHyperparameters(hp: TransformerHyperparameters, config: BertConfig): void {
  const bad = (field: string, why: string): never => {
    throw new Error(`hyperparameters.${field}: ${why}`);
  };
  if (!(hp.learningRate > 0 && hp.learningRate < 1)) bad('learningRate', 'must be in (0, 1)');
  if (!Number.isInteger(hp.epochs) || hp.epochs < 1) bad('epochs', 'must be a positive integer');
  if (!Number.isInteger(hp.batchSize) || hp.batchSize < 1) bad('batchSize', 'must be a positive integer');
  if (!Number.isInteger(hp.trainLayers) || hp.trainLayers < 0)
    bad('trainLayers', 'must be a non-negative integer');
  if (!Number.isInteger(hp.maxLength) || hp.maxLength < 8 || hp.maxLength > config.maxPositions)
    bad('maxLength', `must be an integer from 8 to ${config.maxPositions}`);
  if (!(hp.dropout >= 0 && hp.dropout < 1)) bad('dropout', 'must be in [0, 1)');
  if (!(hp.attentionDropout >= 0 && hp.attentionDropout < 1)) bad('attentionDropout', 'must be in [0, 1)');
  if (!(hp.warmupFraction >= 0 && hp.warmupFraction < 1)) bad('warmupFraction', 'must be in [0, 1)');
  if (!(hp.validationFraction > 0 && hp.validationFraction < 0.5))
    bad('validationFraction', 'must be in (0, 0.5)');
  if (hp.classWeighting !== 'balanced' && hp.classWeighting !== 'none')
    bad('classWeighting', 'must be balanced or none');
}

/** Mean cross-entropy of logits against integer labels, with per-class weights and label smoothing. */
function softmaxCrossEntropy(
  tf: TF,
  logits: Tensor,
  labels: Tensor,
  classWeights: Tensor,
  smoothing: number,
): Tensor {
  const k = logits.shape[1] as number;
  const oneHot = tf.oneHot(labels as import('@tensorflow/tfjs').Tensor1D, k);
  const target = smoothing > 0 ? tf.add(tf.mul(oneHot, 1 - smoothing), smoothing / k) : oneHot;
  const perExample = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), -1));
  const weights = tf.gather(classWeights, labels);
  return tf.div(tf.sum(tf.mul(perExample, weights)), tf.sum(weights));
}
