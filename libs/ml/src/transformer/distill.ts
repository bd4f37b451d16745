// Distillation: the fine-tuned transformer (teacher) is accurate but serves a few hundred sentences
// a second on two cores; the stream needs thousands. The student is the CNN of sentiment.ts over the
// teacher's word pieces, its embedding table started from a principal-component projection of the
// teacher's, trained on the teacher's soft labels over a transfer set: the labeled texts, any
// unlabeled in-domain text, and augmented variants of both (Tang et al. 2019, "Distilling
// task-specific knowledge from BERT into simple neural networks": word masking, word replacement,
// n-gram sampling), because a student matches its teacher only where it has seen the teacher speak.
// The teacher may be an ensemble: several fine-tunes of one encoder (seeds), whose probabilities are
// averaged into the soft labels (on TFNS the ensemble of three beats each of them and their weight
// soup); a single teacher is an ensemble of one.
import type { TF } from '../backend';
import type { LabeledText } from '../datasets';
import { seededRandom } from '@mercato/synthetic';
import type { ClassificationReport } from '../metrics';
import {
  labelOf,
  reportOf,
  SentimentModel,
  type EpochProgress,
  type SentimentPrediction,
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
  /**
   * The fine-tuned transformers the student learns from, fine-tunes of one encoder (same word
   * pieces): the soft label of a text is the mean of their probabilities.
   */
  teachers: TransformerSentimentModel[];
  labeled: LabeledText[];
  unlabeled?: string[];
  /** Labeled texts to stop early on; by default a seeded slice of `labeled`. */
  validation?: LabeledText[];
  augment?: Partial<AugmentOptions>;
  hyperparameters?: Partial<StudentHyperparameters>;
  shouldStop?: () => boolean;
  /**
   * The teachers' mean probabilities for exactly the texts `transferTexts` builds from this spec, from
   * an earlier run (experiments that try several students on one ensemble); computed when absent.
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
  /** The teachers' mean probabilities on the transfer set (reusable with `teacherProbabilities`). */
  teacherProbabilities: [number, number, number][];
  transferExamples: number;
  augmentedExamples: number;
  labelingSeconds: number;
  /** How often the student agrees with the teachers' ensemble on the validation texts. */
  teacherAgreement: number;
  epochs: number;
  seconds: number;
}

/** The teachers' ensemble: their mean class probabilities for each text (the soft labels). */
export function ensemblePredict(
  teachers: readonly TransformerSentimentModel[],
  texts: string[],
): SentimentPrediction[] {
  const mean = texts.map((): [number, number, number] => [0, 0, 0]);
  for (const teacher of teachers)
    teacher.predict(texts).forEach((p, i) => {
      const m = mean[i] as [number, number, number];
      p.probabilities.forEach((q, c) => (m[c] += q / teachers.length));
    });
  return mean.map((probabilities) => ({ label: labelOf(probabilities), probabilities }));
}

/** The teachers' ensemble scored on labeled data. */
export function evaluateEnsemble(
  teachers: readonly TransformerSentimentModel[],
  data: LabeledText[],
): ClassificationReport {
  return reportOf(
    data,
    ensemblePredict(
      teachers,
      data.map((d) => d.text),
    ),
  );
}

/** Refuses an empty ensemble and teachers that do not read the same word pieces. */
function checkTeachers(teachers: readonly TransformerSentimentModel[]): TransformerSentimentModel {
  const [first] = teachers;
  if (!first) throw new Error('distillation needs at least one teacher');
  teachers.forEach((t, i) => {
    if (t.pieces.json !== first.pieces.json)
      throw new Error(
        `teacher ${i + 1} does not use the word pieces of teacher 1: an ensemble shares one encoder`,
      );
    const a = t.wordEmbeddings();
    const b = first.wordEmbeddings();
    if (a.cols !== b.cols)
      throw new Error(`teacher ${i + 1} has ${a.cols}-wide embeddings, teacher 1 ${b.cols}-wide`);
  });
  return first;
}

/** The element-wise mean of the teachers' word-piece embedding tables. */
function meanWordEmbeddings(teachers: readonly TransformerSentimentModel[]): {
  values: Float32Array;
  rows: number;
  cols: number;
} {
  const tables = teachers.map((t) => t.wordEmbeddings());
  const first = tables[0] as (typeof tables)[number];
  if (tables.length === 1) return first;
  const values = new Float32Array(first.values.length);
  for (const table of tables) table.values.forEach((v, i) => (values[i] += v / tables.length));
  return { values, rows: first.rows, cols: first.cols };
}

export async function distillStudent(
  tf: TF,
  spec: DistillSpec,
  onProgress: (p: DistillProgress) => void = () => undefined,
): Promise<DistillResult> {
  const started = Date.now();
  const { teachers } = spec;
  const first = checkTeachers(teachers);
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
    onProgress({
      stage: 'labeling',
      message: `${transfer.length} texts through ${teachers.length === 1 ? 'the teacher' : `${teachers.length} teachers`}`,
    });
    soft = [];
    const chunk = 2048;
    for (let i = 0; i < transfer.length; i += chunk) {
      await new Promise((resolve) => setImmediate(resolve));
      if (spec.shouldStop?.()) throw new Error('distillation cancelled while the teachers were labeling');
      for (const p of ensemblePredict(teachers, transfer.slice(i, i + chunk))) soft.push(p.probabilities);
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
    return { text, target, label: gold ?? labelOf(target) };
  });

  const pieces = new PieceSequenceEncoder(first.pieces.tokenizer, first.pieces.json, hp.maxLength);
  const table = meanWordEmbeddings(teachers);
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
    const t = ensemblePredict(teachers, texts);
    teacherAgreement =
      s.filter((p, i) => p.label === (t[i] as SentimentPrediction).label).length / texts.length;
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
