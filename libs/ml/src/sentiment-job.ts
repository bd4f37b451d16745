// A sentiment training job from data reference to registered-ready artifact, for each architecture:
// `cnn` (word CNN from labels alone), `transformer` (the pretrained encoder fine-tuned: the teacher)
// and `student` (the CNN distilled from a teacher's soft labels). It reads the data, holds out a
// test set (stratified by label), trains, evaluates on the held-out part — accuracy, macro-F1 and
// inference throughput — and returns the artifact with its metrics and lineage. The training
// service runs this in a worker thread; `mercato train --offline` runs the very same function.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ArtifactFile, ModelArtifact } from './artifact';
import { readManifest } from './artifact';
import { selectBackend, type BackendPreference, type TF } from './backend';
import { confusionMetricName } from '@mercato/contracts';
import { stratifiedSplit } from '@mercato/synthetic';
import { predictionCounts, profileOf, referenceMetrics } from './drift';
import { joinFeedback, type FeedbackLineage } from './feedback';
import {
  parseLabelMap,
  readJsonl,
  readLabeledText,
  readText,
  type LabeledText,
  type TextEncoding,
  type TextFormat,
  type TextReadOptions,
} from './datasets';
import { CODE_VERSION, type JobProgress } from './jobs';
import type { ClassificationReport } from './metrics';
import {
  DEFAULT_SENTIMENT_HP,
  SentimentModel,
  sentimentArchitecture,
  type ClassifiedText,
  type EpochProgress,
  type SentimentArchitecture,
  type SentimentPrediction,
  type TokenWeight,
} from './sentiment';
import { Tokenizer } from './tokenizer';
import type { UnknownPieceStats } from './transformer/wordpiece';
import {
  DEFAULT_STUDENT_HP,
  distillStudent,
  evaluateEnsemble,
  type AugmentOptions,
} from './transformer/distill';
import { loadPretrainedEncoder } from './transformer/pretrained-encoder';
import { DEFAULT_TRANSFORMER_HP, TransformerSentimentModel } from './transformer/transformer-sentiment';

export type SentimentHyperparameterValues = Record<string, number | string | boolean>;

export interface SentimentJobSpec {
  kind: 'sentiment';
  /** Default `cnn`. */
  architecture?: SentimentArchitecture;
  /** Labeled training data: CSV text,label / PhraseBank / JSON Lines. */
  trainPath: string;
  testPath?: string;
  /** Held out of trainPath when there is no testPath, stratified by label. */
  testSplit?: number;
  labelMap?: string;
  /** The data files' format and encoding, when not the ones detected (see readLabeledText). */
  format?: TextFormat;
  encoding?: TextEncoding;
  /** Unlabeled in-domain text (JSON Lines, CSV with a text column, or one text per line): the student's transfer set. */
  unlabeledPath?: string;
  /** Continue training this model (same architecture; its tokenizer is kept). */
  base?: { files: ArtifactFile[]; version?: string };
  /** The fine-tuned transformers a `student` learns from (their probabilities averaged; one is an ensemble of one). */
  teachers?: { files: ArtifactFile[]; name?: string; version?: string }[];
  /** A staged pretrained encoder folder (config.json, tokenizer.json, model.safetensors) for `transformer`. */
  encoderDir?: string;
  hyperparameters?: SentimentHyperparameterValues;
  augment?: Partial<AugmentOptions>;
  backend?: BackendPreference;
  /** In-memory data instead of files (synthetic data in tests). */
  inline?: { train: LabeledText[]; test?: LabeledText[]; unlabeled?: string[] };
  /**
   * Analysts' corrections (one per distinct text, the latest label): joined to the training part
   * after the split, each `weight` times, replacing training examples of the same text. The
   * held-out part is left as it is, so the champion is judged on the very same examples.
   */
  feedback?: { examples: LabeledText[]; weight: number; holdout?: LabeledText[] };
}

export interface JobResult {
  artifact: ModelArtifact;
  metrics: Record<string, number>;
  report: ClassificationReport;
  lineage: {
    architecture: SentimentArchitecture;
    datasetHash: string;
    codeVersion: string;
    backend: string;
    hyperparameters: SentimentHyperparameterValues;
    baseVersion?: string;
    teachers?: { name?: string; version?: string }[];
    encoder?: { name: string; weightsSha256: string };
    trainExamples: number;
    testExamples: number;
    transferExamples?: number;
    feedback?: FeedbackLineage;
  };
  seconds: number;
}

/** What scoring and evaluation need from any sentiment architecture. */
export interface SentimentClassifier {
  readonly architecture: SentimentArchitecture;
  predict(texts: string[], batchSize?: number): SentimentPrediction[];
  explain(texts: string[], topN?: number): TokenWeight[][];
  /** predict and explain from one forward and one backward pass. */
  classify(texts: string[], topN?: number): ClassifiedText[];
  evaluate(data: LabeledText[]): ClassificationReport;
  /** The texts' units outside the model's vocabulary (its tokenizer's unknown id). */
  unknownStats(texts: string[]): UnknownPieceStats;
  dispose(): void;
}

/** Loads any sentiment artifact as the classifier its manifest names. */
export async function loadSentimentClassifier(
  tf: TF,
  artifact: { files: ArtifactFile[] },
): Promise<SentimentClassifier> {
  const manifest = readManifest(artifact);
  if (manifest.kind !== 'sentiment')
    throw new Error(`not a sentiment model artifact (kind ${manifest.kind})`);
  return sentimentArchitecture(manifest) === 'transformer'
    ? TransformerSentimentModel.fromArtifact(tf, artifact)
    : SentimentModel.fromArtifact(tf, artifact);
}

function datasetHash(
  parts: (string | undefined)[],
  inline?: SentimentJobSpec['inline'],
  feedback?: SentimentJobSpec['feedback'],
): string {
  const h = createHash('sha256');
  for (const p of parts) if (p) h.update(readFileSync(p));
  if (inline) h.update(JSON.stringify(inline));
  if (feedback) h.update(JSON.stringify(feedback));
  return `sha256:${h.digest('hex')}`;
}

export function readUnlabeled(path: string, read: TextReadOptions = {}): string[] {
  if (path.endsWith('.jsonl')) return readJsonl(path, undefined, read).map((r) => r.text);
  if (path.endsWith('.csv')) return readLabeledText(path, undefined, read).map((r) => r.text);
  return readText(path, read)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** Sentences per second of single-process batched inference, measured on up to 2,000 texts. */
export function inferenceThroughput(model: SentimentClassifier, texts: string[], batchSize = 64): number {
  const sample = texts.slice(0, 2_000);
  if (sample.length === 0) return 0;
  model.predict(sample.slice(0, batchSize), batchSize);
  const started = performance.now();
  model.predict(sample, batchSize);
  return sample.length / ((performance.now() - started) / 1000);
}

/**
 * Hyperparameters given as strings or numbers (training requests, CLI flags) typed by the
 * architecture's defaults; an unknown name or a value of the wrong type is an error naming it.
 */
export function coerceHyperparameters<T extends object>(
  architecture: SentimentArchitecture,
  defaults: T,
  values: SentimentHyperparameterValues | undefined,
): Partial<T> {
  const out: Record<string, number | string | boolean> = {};
  for (const [key, raw] of Object.entries(values ?? {})) {
    if (!(key in defaults))
      throw new Error(
        `hyperparameters.${key}: not a ${architecture} hyperparameter (known: ${Object.keys(defaults).sort().join(', ')})`,
      );
    const expected = typeof (defaults as Record<string, unknown>)[key];
    if (expected === 'number') {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (typeof raw === 'boolean' || !Number.isFinite(n))
        throw new Error(`hyperparameters.${key}: expected a number, got ${JSON.stringify(raw)}`);
      out[key] = n;
    } else if (expected === 'boolean') {
      if (raw === true || raw === 'true' || raw === 1 || raw === '1') out[key] = true;
      else if (raw === false || raw === 'false' || raw === 0 || raw === '0') out[key] = false;
      else throw new Error(`hyperparameters.${key}: expected true or false, got ${JSON.stringify(raw)}`);
    } else {
      out[key] = String(raw);
    }
  }
  return out as Partial<T>;
}

/** The defaults of an architecture's hyperparameters (what `coerceHyperparameters` checks against). */
export function defaultHyperparameters(architecture: SentimentArchitecture): SentimentHyperparameterValues {
  switch (architecture) {
    case 'cnn':
      return { ...DEFAULT_SENTIMENT_HP };
    case 'transformer':
      return { ...DEFAULT_TRANSFORMER_HP };
    case 'student':
      return { ...DEFAULT_STUDENT_HP };
  }
}

export async function runSentimentJob(
  spec: SentimentJobSpec,
  onProgress: (p: JobProgress) => void = () => undefined,
  shouldStop: () => boolean = () => false,
): Promise<JobResult> {
  const started = Date.now();
  const { tf, name: backend } = await selectBackend(spec.backend);
  const architecture = spec.architecture ?? 'cnn';
  onProgress({ stage: 'loading', message: `backend ${backend}, architecture ${architecture}` });
  const labelMap = spec.labelMap ? parseLabelMap(spec.labelMap) : undefined;
  const read = {
    encoding: spec.encoding,
    onWarning: (message: string) => onProgress({ stage: 'warning', message }),
  };
  const seed = Number(spec.hyperparameters?.seed ?? DEFAULT_SENTIMENT_HP.seed);
  let train: LabeledText[];
  let test: LabeledText[];
  if (spec.inline) {
    train = spec.inline.train;
    test = spec.inline.test ?? [];
  } else {
    train = readLabeledText(spec.trainPath, labelMap, { ...read, format: spec.format });
    test = spec.testPath ? readLabeledText(spec.testPath, labelMap, { ...read, format: spec.format }) : [];
  }
  if (test.length === 0)
    ({ train, test } = stratifiedSplit(train, spec.testSplit ?? 0.2, seed, (d) => d.label));
  let feedback: FeedbackLineage | undefined;
  if (spec.feedback) {
    ({ train, lineage: feedback } = joinFeedback(train, spec.feedback));
    const holdout = spec.feedback.holdout ?? [];
    if (holdout.length > 0) {
      test = [...test, ...holdout];
      feedback = { ...feedback, heldOut: holdout.length };
    }
  }
  if (train.length < 10) throw new Error(`too little training data (${train.length} examples)`);
  const unlabeled =
    spec.inline?.unlabeled ?? (spec.unlabeledPath ? readUnlabeled(spec.unlabeledPath, read) : []);

  let model: SentimentClassifier;
  let hyperparameters: SentimentHyperparameterValues;
  let epochs: number;
  const extraLineage: Partial<JobResult['lineage']> = {};
  const extraMetrics: Record<string, number> = {};
  const epochProgress = (phase: 'train' | 'distill') => (p: EpochProgress) =>
    onProgress({ stage: 'epoch', phase, ...p });
  const hash = datasetHash(
    [spec.inline ? undefined : spec.trainPath, spec.testPath, spec.unlabeledPath],
    spec.inline,
    feedback && feedback.examples > 0 ? spec.feedback : undefined,
  );
  // What the run record keeps even when training fails: the resolved parameters, before any epoch.
  const reportParams = (hp: SentimentHyperparameterValues, extra: Partial<JobResult['lineage']> = {}) =>
    onProgress({
      stage: 'params',
      params: {
        architecture,
        datasetHash: hash,
        codeVersion: CODE_VERSION,
        backend,
        hyperparameters: hp,
        ...(spec.base?.version ? { baseVersion: spec.base.version } : {}),
        trainExamples: train.length,
        testExamples: test.length,
        ...(feedback ? { feedback } : {}),
        ...extra,
      },
    });

  switch (architecture) {
    case 'cnn': {
      let cnn: SentimentModel;
      if (spec.base) {
        cnn = await SentimentModel.fromArtifact(
          tf,
          spec.base,
          coerceHyperparameters('cnn', DEFAULT_SENTIMENT_HP, spec.hyperparameters),
        );
      } else {
        const hp = {
          ...DEFAULT_SENTIMENT_HP,
          ...coerceHyperparameters('cnn', DEFAULT_SENTIMENT_HP, spec.hyperparameters),
        };
        const tokenizer = Tokenizer.fit(
          train.map((d) => d.text),
          { maxVocab: hp.maxVocab, minCount: hp.minCount, maxLength: hp.maxLength },
        );
        cnn = SentimentModel.create(tf, tokenizer, hp);
      }
      reportParams({ ...cnn.hp });
      onProgress({ stage: 'training', message: `${train.length} training / ${test.length} test examples` });
      const fit = await cnn.fit(train, { onEpoch: epochProgress('train'), shouldStop });
      ({ epochs } = fit);
      model = cnn;
      hyperparameters = { ...cnn.hp };
      break;
    }
    case 'transformer': {
      let teacher: TransformerSentimentModel;
      const overrides = coerceHyperparameters('transformer', DEFAULT_TRANSFORMER_HP, spec.hyperparameters);
      if (spec.base) {
        teacher = await TransformerSentimentModel.fromArtifact(tf, spec.base, overrides);
      } else {
        if (!spec.encoderDir) throw new Error('a transformer job needs a staged encoder (encoderDir)');
        const encoder = await loadPretrainedEncoder(spec.encoderDir);
        teacher = TransformerSentimentModel.fromPretrained(tf, encoder, overrides);
      }
      reportParams({ ...teacher.hp }, { encoder: teacher.encoder });
      onProgress({ stage: 'training', message: `${train.length} training / ${test.length} test examples` });
      const fit = await teacher.fit(train, {
        onEpoch: epochProgress('train'),
        onStep: (p) =>
          onProgress({
            stage: 'step',
            phase: 'train',
            step: p.step,
            steps: p.steps,
            loss: p.loss,
            learningRate: p.learningRate,
            gradientNorm: p.gradientNorm,
            samplesPerSecond: p.samplesPerSecond,
          }),
        shouldStop,
      });
      ({ epochs } = fit);
      model = teacher;
      hyperparameters = { ...teacher.hp };
      extraLineage.encoder = teacher.encoder;
      break;
    }
    case 'student': {
      if (!spec.teachers?.length)
        throw new Error('a student job needs a teacher (a fine-tuned transformer version)');
      const teachers: TransformerSentimentModel[] = [];
      const teacherRefs = spec.teachers.map(({ name, version }) => ({ name, version }));
      const { train: fitOn, test: validation } = stratifiedSplit(train, 0.1, seed, (d) => d.label);
      const studentHp = coerceHyperparameters('student', DEFAULT_STUDENT_HP, spec.hyperparameters);
      try {
        for (const t of spec.teachers) teachers.push(await TransformerSentimentModel.fromArtifact(tf, t));
        const encoder = (teachers[0] as TransformerSentimentModel).encoder;
        reportParams({ ...DEFAULT_STUDENT_HP, ...studentHp }, { teachers: teacherRefs, encoder });
        const distilled = await distillStudent(
          tf,
          {
            teachers,
            labeled: fitOn,
            unlabeled,
            validation,
            augment: spec.augment,
            hyperparameters: studentHp,
            shouldStop,
          },
          (p) => {
            switch (p.stage) {
              case 'augmenting':
              case 'labeling':
              case 'training':
                onProgress({ stage: p.stage, message: p.message });
                break;
              case 'labeling-progress':
                onProgress({
                  stage: 'step',
                  phase: 'label',
                  step: p.done,
                  steps: p.total,
                  samplesPerSecond: p.sentencesPerSecond,
                });
                break;
              case 'epoch':
                epochProgress('distill')(p.progress);
                break;
            }
          },
        );
        model = distilled.student;
        epochs = distilled.epochs;
        hyperparameters = { ...distilled.student.hp };
        extraLineage.teachers = teacherRefs;
        extraLineage.encoder = encoder;
        extraLineage.transferExamples = distilled.transferExamples;
        extraMetrics.teacher_agreement = distilled.teacherAgreement;
        extraMetrics.labeling_seconds = distilled.labelingSeconds;
        // The ensemble the student learned from, scored on the held-out part.
        const teacherReport = evaluateEnsemble(teachers, test);
        extraMetrics.teacher_accuracy = teacherReport.accuracy;
        extraMetrics.teacher_macro_f1 = teacherReport.macroF1;
      } finally {
        teachers.forEach((t) => t.dispose());
      }
      break;
    }
  }

  onProgress({ stage: 'evaluating', message: `${test.length} held-out examples` });
  const report = model.evaluate(test);
  const sentencesPerSecond = inferenceThroughput(
    model,
    test.map((d) => d.text),
  );
  // Wall time of the whole job up to here: data, teacher labeling, training and evaluation.
  const trainSeconds = (Date.now() - started) / 1000;
  // How the model's predictions are distributed on held-out data, and how much of its text the
  // model's vocabulary misses: the reference scoring measures each tenant's stream against (drift).
  const testTexts = test.map((d) => d.text);
  const reference = {
    ...profileOf(predictionCounts(model.predict(testTexts))),
    unknownRate: model.unknownStats(testTexts).rate,
  };
  const metrics: Record<string, number> = {
    ...referenceMetrics(reference),
    accuracy: report.accuracy,
    macro_f1: report.macroF1,
    train_seconds: trainSeconds,
    epochs,
    sentences_per_second: sentencesPerSecond,
    ...extraMetrics,
    ...Object.fromEntries(
      report.perClass.flatMap((c) => [
        [`precision_${c.label}`, c.precision],
        [`recall_${c.label}`, c.recall],
      ]),
    ),
    // The measured confusion, row-normalized: P(predicted | actual) on the held-out set. Consumers
    // (the monitor's surge test) read how often this version calls a neutral article negative.
    ...confusionRates(report),
    // How sure the version is when it is right and when it is wrong (calibrationMetrics): the
    // monitor weighs a confident label more than a hesitant one by as much as these differ.
    ...report.calibration,
  };
  onProgress({ stage: 'packaging', message: 'model.json + weights + manifest' });
  const manifestBits = { metrics, backend, createdAt: new Date().toISOString() };
  const artifact =
    model instanceof TransformerSentimentModel
      ? await model.toArtifact(manifestBits)
      : await (model as SentimentModel).toArtifact(manifestBits, {
          weightDtype: architecture === 'student' ? 'float16' : 'float32',
        });
  model.dispose();
  return {
    artifact,
    metrics,
    report,
    lineage: {
      architecture,
      datasetHash: hash,
      codeVersion: CODE_VERSION,
      backend,
      hyperparameters,
      baseVersion: spec.base?.version,
      trainExamples: train.length,
      testExamples: test.length,
      ...(feedback ? { feedback } : {}),
      ...extraLineage,
    },
    seconds: (Date.now() - started) / 1000,
  };
}

/** `confusion_<actual>_as_<predicted>`: the share of each actual class predicted as each class. */
export function confusionRates(report: ClassificationReport): Record<string, number> {
  const out: Record<string, number> = {};
  report.confusion.forEach((row, a) => {
    const total = row.reduce((s, n) => s + n, 0);
    row.forEach((n, p) => {
      out[confusionMetricName(report.labels[a] as string, report.labels[p] as string)] =
        total === 0 ? 0 : n / total;
    });
  });
  return out;
}

/** Scores a labeled set with an existing sentiment artifact (the champion comparison, `mercato eval`). */
export async function evaluateSentimentArtifact(
  artifact: { files: ArtifactFile[] },
  data: LabeledText[],
  backend?: BackendPreference,
): Promise<ClassificationReport & { sentencesPerSecond: number }> {
  const { tf } = await selectBackend(backend);
  const model = await loadSentimentClassifier(tf, artifact);
  try {
    return {
      ...model.evaluate(data),
      sentencesPerSecond: inferenceThroughput(
        model,
        data.map((d) => d.text),
      ),
    };
  } finally {
    model.dispose();
  }
}
