// A training job from data reference to registered-ready artifact: read the data, split it, train
// (optionally from pretrained embeddings or a base model), evaluate on the held-out part, and
// return the artifact with its metrics and lineage. The training service runs this in a worker
// thread; `mercato train --offline` runs the very same function in the CLI process.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { selectBackend, type BackendPreference } from './backend';
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
import type { ModelArtifact } from './artifact';
import type { ClassificationReport } from './metrics';
import { DEFAULT_PRETRAIN_HP, PretrainedEmbeddings } from './pretrain';
import { stratifiedSplit } from '@mercato/synthetic';
import { DEFAULT_SENTIMENT_HP, SentimentModel, type SentimentHyperparameters } from './sentiment';
import { Tokenizer } from './tokenizer';

export const CODE_VERSION = process.env.MERCATO_VERSION ?? '0.1.0';

export interface SentimentJobSpec {
  kind: 'sentiment';
  /** Labeled training data: CSV text,label / PhraseBank / JSON Lines. */
  trainPath: string;
  testPath?: string;
  /** Held out of trainPath when there is no testPath, stratified by label. */
  testSplit?: number;
  labelMap?: string;
  /** The data files' format and encoding, when not the ones detected (see readLabeledText). */
  format?: TextFormat;
  encoding?: TextEncoding;
  /** Unlabeled text (JSON Lines or one sentence per line) for self-supervised pretraining. */
  pretrainPath?: string;
  /** Fine-tune from this model (its tokenizer is kept). */
  base?: { files: { path: string; bytes: Uint8Array }[]; version?: string };
  hyperparameters?: Partial<SentimentHyperparameters>;
  backend?: BackendPreference;
  /** In-memory data instead of files (synthetic demo data, tests). */
  inline?: { train: LabeledText[]; test?: LabeledText[]; unlabeled?: string[] };
}

export type JobProgress =
  | {
      /** 'warning': something the user should know about the data (shown with --json too). */
      stage: 'loading' | 'warning' | 'pretraining' | 'training' | 'evaluating' | 'packaging';
      message: string;
    }
  | {
      stage: 'epoch';
      phase: 'pretrain' | 'train';
      epoch: number;
      epochs: number;
      loss: number;
      valAccuracy?: number;
      samplesPerSecond: number;
    };

export interface JobResult {
  artifact: ModelArtifact;
  metrics: Record<string, number>;
  report: ClassificationReport;
  lineage: {
    datasetHash: string;
    codeVersion: string;
    backend: string;
    hyperparameters: Record<string, number | string | boolean>;
    baseVersion?: string;
    trainExamples: number;
    testExamples: number;
  };
  seconds: number;
}

function datasetHash(parts: (string | undefined)[], inline?: SentimentJobSpec['inline']): string {
  const h = createHash('sha256');
  for (const p of parts) if (p) h.update(readFileSync(p));
  if (inline) h.update(JSON.stringify(inline));
  return `sha256:${h.digest('hex')}`;
}

function readUnlabeled(path: string, read: TextReadOptions): string[] {
  if (path.endsWith('.jsonl')) return readJsonl(path, undefined, read).map((r) => r.text);
  if (path.endsWith('.csv')) return readLabeledText(path, undefined, read).map((r) => r.text);
  return readText(path, read)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

export async function runSentimentJob(
  spec: SentimentJobSpec,
  onProgress: (p: JobProgress) => void = () => undefined,
): Promise<JobResult> {
  const started = Date.now();
  const { tf, name: backend } = await selectBackend(spec.backend);
  onProgress({ stage: 'loading', message: `backend ${backend}` });
  const labelMap = spec.labelMap ? parseLabelMap(spec.labelMap) : undefined;
  const read = {
    encoding: spec.encoding,
    onWarning: (message: string) => onProgress({ stage: 'warning', message }),
  };
  const seed = spec.hyperparameters?.seed ?? DEFAULT_SENTIMENT_HP.seed;
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
  if (train.length < 10) throw new Error(`too little training data (${train.length} examples)`);

  let tokenizer: Tokenizer;
  let hp: SentimentHyperparameters;
  let model: SentimentModel;
  if (spec.base) {
    model = await SentimentModel.fromArtifact(tf, spec.base, spec.hyperparameters);
    tokenizer = model.tokenizer;
    hp = model.hp;
  } else {
    hp = { ...DEFAULT_SENTIMENT_HP, ...spec.hyperparameters };
    const unlabeled =
      spec.inline?.unlabeled ?? (spec.pretrainPath ? readUnlabeled(spec.pretrainPath, read) : []);
    tokenizer = Tokenizer.fit([...train.map((d) => d.text), ...unlabeled], {
      maxVocab: hp.maxVocab,
      minCount: hp.minCount,
      maxLength: hp.maxLength,
    });
    let pretrained: Float32Array | undefined;
    if (unlabeled.length > 0) {
      onProgress({ stage: 'pretraining', message: `${unlabeled.length + train.length} unlabeled sentences` });
      const embeddings = await PretrainedEmbeddings.train(
        tf,
        [...unlabeled, ...train.map((d) => d.text)],
        tokenizer,
        { ...DEFAULT_PRETRAIN_HP, embeddingDim: hp.embeddingDim, seed },
        (p) =>
          onProgress({
            stage: 'epoch',
            phase: 'pretrain',
            epoch: p.epoch,
            epochs: DEFAULT_PRETRAIN_HP.epochs,
            loss: p.loss,
            samplesPerSecond: p.pairsPerSecond,
          }),
      );
      pretrained = embeddings.matrix;
    }
    model = SentimentModel.create(tf, tokenizer, hp, pretrained);
  }
  onProgress({ stage: 'training', message: `${train.length} training / ${test.length} test examples` });
  const fit = await model.fit(train, (p) =>
    onProgress({
      stage: 'epoch',
      phase: 'train',
      epoch: p.epoch,
      epochs: p.epochs,
      loss: p.loss,
      valAccuracy: p.valAccuracy,
      samplesPerSecond: p.samplesPerSecond,
    }),
  );
  onProgress({ stage: 'evaluating', message: `${test.length} held-out examples` });
  const report = model.evaluate(test);
  const metrics: Record<string, number> = {
    accuracy: report.accuracy,
    macro_f1: report.macroF1,
    train_seconds: fit.seconds,
    epochs: fit.epochs,
    ...Object.fromEntries(
      report.perClass.flatMap((c) => [
        [`precision_${c.label}`, c.precision],
        [`recall_${c.label}`, c.recall],
      ]),
    ),
  };
  onProgress({ stage: 'packaging', message: 'model.json + weights + manifest' });
  const artifact = await model.toArtifact({ metrics, backend, createdAt: new Date().toISOString() });
  model.dispose();
  return {
    artifact,
    metrics,
    report,
    lineage: {
      datasetHash: datasetHash(
        [spec.inline ? undefined : spec.trainPath, spec.testPath, spec.pretrainPath],
        spec.inline,
      ),
      codeVersion: CODE_VERSION,
      backend,
      hyperparameters: { ...hp },
      baseVersion: spec.base?.version,
      trainExamples: train.length,
      testExamples: test.length,
    },
    seconds: (Date.now() - started) / 1000,
  };
}

/** Scores a labeled set with an existing sentiment artifact (the champion comparison, `mercato eval`). */
export async function evaluateSentimentArtifact(
  artifact: { files: { path: string; bytes: Uint8Array }[] },
  data: LabeledText[],
  backend?: BackendPreference,
): Promise<ClassificationReport> {
  const { tf } = await selectBackend(backend);
  const model = await SentimentModel.fromArtifact(tf, artifact);
  try {
    return model.evaluate(data);
  } finally {
    model.dispose();
  }
}
