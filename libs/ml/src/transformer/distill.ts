// Distillation: the fine-tuned transformer (teacher) is accurate but serves a few hundred sentences
// a second on two cores; the stream needs thousands. The student is the CNN of sentiment.ts over the
// teacher's word pieces, its embedding table started from a principal-component projection of the
// teacher's, trained on the teacher's soft labels over a transfer set: the labeled texts, any
// unlabeled in-domain text, and augmented variants of both (Tang et al. 2019, "Distilling
// task-specific knowledge from BERT into simple neural networks": word masking, word replacement,
// n-gram sampling), because a student matches its teacher only where it has seen the teacher speak.
import type { TF } from '../backend';
import type { LabeledText } from '../datasets';
import { seededRandom } from '@mercato/synthetic';
import {
  SentimentModel,
  type EpochProgress,
  type SentimentHyperparameters,
  type SoftLabeledText,
} from '../sentiment';
import type { TransformerSentimentModel } from './transformer-sentiment';
import { PieceSequenceEncoder } from './wordpiece-sequence';

export interface AugmentOptions {
  /** Augmented variants made from each source text (duplicates are dropped). */
  variantsPerText: number;
  /** Per word: replaced by [MASK]. */
  maskProbability: number;
  /** Per word: replaced by a word drawn from the corpus's own word frequencies. */
  replaceProbability: number;
  /** Per variant: only a random n-gram (1-5 words) of it is kept. */
  ngramProbability: number;
  seed: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = {
  variantsPerText: 10,
  maskProbability: 0.1,
  replaceProbability: 0.1,
  ngramProbability: 0.25,
  seed: 17,
};

export interface StudentHyperparameters extends SentimentHyperparameters {
  /** Weight of the gold label against the teacher's distribution on labeled texts (0: teacher only). */
  goldWeight: number;
}

export const DEFAULT_STUDENT_HP: Omit<StudentHyperparameters, 'maxVocab' | 'minCount'> = {
  embeddingDim: 128,
  filters: 256,
  kernelSize: 3,
  hidden: 128,
  dropout: 0.2,
  epochs: 8,
  batchSize: 128,
  learningRate: 0.001,
  maxLength: 64,
  seed: 42,
  patience: 2,
  validationFraction: 0.1,
  trainEmbeddings: 1,
  goldWeight: 0.5,
};

/** Augmented variants of texts: seeded, deduplicated, never the original itself. */
export function augmentTexts(texts: readonly string[], options: AugmentOptions): string[] {
  const rand = seededRandom(options.seed);
  const tokenized = texts.map((t) => t.split(/\s+/).filter(Boolean));
  // The replacement pool is the corpus's own words, drawn in proportion to their frequency.
  const pool = tokenized.flat();
  const seen = new Set(texts);
  const out: string[] = [];
  tokenized.forEach((words) => {
    if (words.length === 0) return;
    for (let v = 0; v < options.variantsPerText; v++) {
      let variant = words.map((w) => {
        const r = rand();
        if (r < options.maskProbability) return '[MASK]';
        if (r < options.maskProbability + options.replaceProbability && pool.length > 0)
          return pool[Math.floor(rand() * pool.length)] as string;
        return w;
      });
      if (rand() < options.ngramProbability && variant.length > 1) {
        const n = 1 + Math.floor(rand() * Math.min(5, variant.length));
        const start = Math.floor(rand() * (variant.length - n + 1));
        variant = variant.slice(start, start + n);
      }
      const text = variant.join(' ');
      if (!seen.has(text)) {
        seen.add(text);
        out.push(text);
      }
    }
  });
  return out;
}

/**
 * The top `dims` principal components of an embedding table (rows x cols), by subspace iteration
 * with QR on the covariance: the student's starting table keeps the teacher's geometry in fewer
 * dimensions.
 */
export function principalProjection(
  tf: TF,
  table: Float32Array,
  rows: number,
  cols: number,
  dims: number,
  seed = 1,
): Float32Array {
  if (dims > cols) throw new Error(`cannot project ${cols} dimensions onto ${dims}`);
  return tf.tidy(() => {
    const x = tf.tensor2d(table, [rows, cols]);
    const centered = tf.sub(x, tf.mean(x, 0, true));
    const covariance = tf.div(tf.matMul(centered, centered, true, false), rows);
    let basis = tf.randomNormal([cols, dims], 0, 1, 'float32', seed) as import('@tensorflow/tfjs').Tensor2D;
    for (let i = 0; i < 30; i++) {
      const next = tf.matMul(covariance, basis);
      basis = tf.linalg.qr(next)[0] as import('@tensorflow/tfjs').Tensor2D;
    }
    return tf.matMul(centered, basis).dataSync() as Float32Array;
  });
}

export type DistillProgress =
  | { stage: 'augmenting' | 'labeling' | 'training'; message: string }
  | { stage: 'labeling-progress'; done: number; total: number; sentencesPerSecond: number }
  | { stage: 'epoch'; progress: EpochProgress };

export interface DistillSpec {
  teacher: TransformerSentimentModel;
  labeled: LabeledText[];
  unlabeled?: string[];
  /** Labeled texts to stop early on; by default a seeded slice of `labeled`. */
  validation?: LabeledText[];
  augment?: Partial<AugmentOptions>;
  hyperparameters?: Partial<StudentHyperparameters>;
  shouldStop?: () => boolean;
  /**
   * The teacher's probabilities for exactly the texts `transferTexts` builds from this spec, from an
   * earlier run (experiments that try several students on one teacher); computed when absent.
   */
  teacherProbabilities?: [number, number, number][];
}

/** The texts the teacher labels: the labeled ones, the unlabeled ones, then their augmented variants. */
export function transferTexts(spec: Pick<DistillSpec, 'labeled' | 'unlabeled' | 'augment'>): {
  texts: string[];
  augmented: number;
} {
  const augment = { ...DEFAULT_AUGMENT, ...spec.augment };
  const sources = [...spec.labeled.map((d) => d.text), ...(spec.unlabeled ?? [])];
  const augmented = augmentTexts(sources, augment);
  return { texts: [...sources, ...augmented], augmented: augmented.length };
}

export interface DistillResult {
  student: SentimentModel;
  /** The teacher's labels of the transfer set (reusable with `teacherProbabilities`). */
  teacherProbabilities: [number, number, number][];
  transferExamples: number;
  augmentedExamples: number;
  labelingSeconds: number;
  /** How often the student agrees with the teacher on the validation texts. */
  teacherAgreement: number;
  epochs: number;
  seconds: number;
}

export async function distillStudent(
  tf: TF,
  spec: DistillSpec,
  onProgress: (p: DistillProgress) => void = () => undefined,
): Promise<DistillResult> {
  const started = Date.now();
  const { teacher } = spec;
  const hp: StudentHyperparameters = {
    maxVocab: 0,
    minCount: 0,
    ...DEFAULT_STUDENT_HP,
    ...spec.hyperparameters,
  };
  const augment = { ...DEFAULT_AUGMENT, ...spec.augment };
  onProgress({
    stage: 'augmenting',
    message: `${spec.labeled.length + (spec.unlabeled?.length ?? 0)} source texts x ${augment.variantsPerText} variants`,
  });
  const { texts: transfer, augmented } = transferTexts(spec);

  const labelStarted = Date.now();
  let soft: [number, number, number][];
  if (spec.teacherProbabilities) {
    if (spec.teacherProbabilities.length !== transfer.length)
      throw new Error(
        `${spec.teacherProbabilities.length} teacher probabilities for ${transfer.length} transfer texts`,
      );
    soft = spec.teacherProbabilities;
  } else {
    onProgress({ stage: 'labeling', message: `${transfer.length} texts through the teacher` });
    soft = [];
    const chunk = 2048;
    for (let i = 0; i < transfer.length; i += chunk) {
      await new Promise((resolve) => setImmediate(resolve));
      if (spec.shouldStop?.()) throw new Error('distillation cancelled while the teacher was labeling');
      for (const p of teacher.predict(transfer.slice(i, i + chunk))) soft.push(p.probabilities);
      const done = Math.min(transfer.length, i + chunk);
      onProgress({
        stage: 'labeling-progress',
        done,
        total: transfer.length,
        sentencesPerSecond: done / Math.max(1e-3, (Date.now() - labelStarted) / 1000),
      });
    }
  }
  const labelingSeconds = (Date.now() - labelStarted) / 1000;

  const examples: SoftLabeledText[] = transfer.map((text, i) => {
    const teacherP = soft[i] as [number, number, number];
    const gold = i < spec.labeled.length ? (spec.labeled[i] as LabeledText).label : undefined;
    const target: [number, number, number] =
      gold === undefined
        ? teacherP
        : (teacherP.map((p, c) => (1 - hp.goldWeight) * p + hp.goldWeight * (c === gold ? 1 : 0)) as [
            number,
            number,
            number,
          ]);
    return { text, target, label: gold ?? target.indexOf(Math.max(...target)) };
  });

  const pieces = new PieceSequenceEncoder(teacher.pieces.tokenizer, teacher.pieces.json, hp.maxLength);
  const table = teacher.wordEmbeddings();
  const initial = principalProjection(tf, table.values, table.rows, table.cols, hp.embeddingDim, hp.seed);
  const student = SentimentModel.create(tf, pieces, hp, initial);
  onProgress({
    stage: 'training',
    message: `${examples.length} transfer examples (${augmented} augmented)`,
  });
  const validation = spec.validation;
  const fit = await student.fit(examples, {
    validation,
    shouldStop: spec.shouldStop,
    onEpoch: (p) => onProgress({ stage: 'epoch', progress: p }),
  });
  let teacherAgreement = Number.NaN;
  if (validation && validation.length > 0) {
    const texts = validation.map((d) => d.text);
    const s = student.predict(texts);
    const t = teacher.predict(texts);
    teacherAgreement =
      s.filter((p, i) => p.label === (t[i] as (typeof t)[number]).label).length / texts.length;
  }
  return {
    student,
    transferExamples: examples.length,
    augmentedExamples: augmented,
    teacherProbabilities: soft,
    labelingSeconds,
    teacherAgreement,
    epochs: fit.epochs,
    seconds: (Date.now() - started) / 1000,
  };
}
