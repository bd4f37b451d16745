// Experiment runs: what one training run leaves behind for the people who tune models, whoever ran
// it (the training service for jobs and triggered retrains, `mercato train --offline`). It owns the
// run record's file format (run.json, which `mercato runs import` sends to the training service),
// the mapping from a job's progress messages to named metric series, the JSON form of metric
// values (NaN and ±Infinity are kept, as the strings "NaN", "Infinity", "-Infinity"), and the
// TensorBoard event files of a run, written with tfjs-node's summary writer.
//
// Why the summary writer and not tf.node.tensorBoard(): that callback only hooks model.fit, and no
// job here trains in one model.fit call — the CNN fits one epoch at a time (early stopping on
// macro-F1 with the best epoch's weights restored, so the callback would log every epoch as epoch
// 0), the transformer and the recommender run their own loops. The callback is itself a wrapper of
// tf.node.summaryFileWriter; writing through the writer from the progress messages gives every
// architecture the same series names in TensorBoard, the runs API and the CLI.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend, type BackendPreference } from './backend';
import type { JobProgress } from './jobs';

export const RUN_STATUSES = ['running', 'finished', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_SOURCES = ['job', 'retrain', 'offline'] as const;
/** job: a request through the stack (CLI, API); retrain: a triggered retrain; offline: `train --offline`. */
export type RunSource = (typeof RUN_SOURCES)[number];

/** The file an offline run leaves beside its model, and the folder of its TensorBoard event files. */
export const RUN_FILE = 'run.json';
export const RUN_EVENTS_DIR = 'tensorboard';
export const RUN_FORMAT = 'mercato-run/1';

/** A metric series name: `epoch/…` by epoch, `step/…` by optimizer step, `labeling/…` by labeled text. */
export const METRIC_NAME_PATTERN = /^[a-z0-9_]+(\/[a-z0-9_]+)*$/;

export interface MetricPoint {
  name: string;
  step: number;
  /** May be NaN or ±Infinity (a diverged loss): kept as it is, shown as a gap. */
  value: number;
  at: string;
}

/** A metric value in JSON: a number, or the name of a value JSON has no number for. */
export type JsonMetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

export function encodeMetricValue(value: number): JsonMetricValue {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export function decodeMetricValue(value: JsonMetricValue): number {
  switch (value) {
    case 'NaN':
      return Number.NaN;
    case 'Infinity':
      return Number.POSITIVE_INFINITY;
    case '-Infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return value;
  }
}

export const encodeMetrics = (metrics: Record<string, number>): Record<string, JsonMetricValue> =>
  Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, encodeMetricValue(v)]));

/** The metric points a progress message carries (none for messages that are only text). */
export function progressPoints(p: JobProgress, at: Date = new Date()): MetricPoint[] {
  const when = at.toISOString();
  const points = (prefix: string, step: number, values: Record<string, number | undefined>) =>
    Object.entries(values)
      .filter((e): e is [string, number] => typeof e[1] === 'number')
      .map(([name, value]) => ({ name: `${prefix}/${name}`, step, value, at: when }));
  switch (p.stage) {
    case 'epoch':
      // A student's distillation epochs are its training epochs: the same names compare across architectures.
      return points('epoch', p.epoch, {
        loss: p.loss,
        accuracy: p.accuracy,
        val_loss: p.valLoss,
        val_accuracy: p.valAccuracy,
        val_macro_f1: p.valMacroF1,
        samples_per_second: p.samplesPerSecond,
      });
    case 'step':
      return p.phase === 'label'
        ? points('labeling', p.step, { sentences_per_second: p.samplesPerSecond })
        : points('step', p.step, {
            loss: p.loss,
            learning_rate: p.learningRate,
            gradient_norm: p.gradientNorm,
            samples_per_second: p.samplesPerSecond,
          });
    case 'params':
    case 'loading':
    case 'warning':
    case 'augmenting':
    case 'labeling':
    case 'training':
    case 'evaluating':
    case 'packaging':
      return [];
  }
}

/** A run as run.json holds it and `POST /v1/runs` takes it (metric values in their JSON form). */
export interface RunRecord {
  format: typeof RUN_FORMAT;
  runId: string;
  model: string;
  kind: 'sentiment' | 'recommender';
  architecture: string | null;
  source: RunSource;
  status: RunStatus;
  params: Record<string, unknown>;
  tags: string[];
  /** The final evaluation on the held-out data. */
  metrics: Record<string, JsonMetricValue>;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  series: Record<string, { step: number; value: JsonMetricValue; at: string }[]>;
}

/**
 * Collects one run in memory from its job's progress (offline runs): the series, and the
 * parameters the job reported once it had resolved them (`stage: 'params'`).
 */
export class RunLog {
  private readonly series = new Map<string, MetricPoint[]>();
  private params: Record<string, unknown>;
  private readonly startedAt = new Date();

  constructor(
    readonly runId: string,
    private readonly identity: {
      model: string;
      kind: RunRecord['kind'];
      architecture?: string;
      tags?: string[];
      params?: Record<string, unknown>;
    },
  ) {
    this.params = { ...identity.params };
  }

  /** Takes a progress message; returns the points it carried. */
  observe(p: JobProgress, at: Date = new Date()): MetricPoint[] {
    if (p.stage === 'params') this.params = { ...this.params, ...p.params };
    const points = progressPoints(p, at);
    for (const point of points) {
      const list = this.series.get(point.name) ?? [];
      list.push(point);
      this.series.set(point.name, list);
    }
    return points;
  }

  record(
    outcome:
      | { status: 'finished'; metrics: Record<string, number>; params?: Record<string, unknown> }
      | { status: 'failed' | 'cancelled'; error: string },
  ): RunRecord {
    return {
      format: RUN_FORMAT,
      runId: this.runId,
      model: this.identity.model,
      kind: this.identity.kind,
      architecture: this.identity.architecture ?? null,
      source: 'offline',
      status: outcome.status,
      params: outcome.status === 'finished' ? { ...this.params, ...outcome.params } : this.params,
      tags: this.identity.tags ?? [],
      metrics: outcome.status === 'finished' ? encodeMetrics(outcome.metrics) : {},
      error: outcome.status === 'finished' ? null : outcome.error,
      startedAt: this.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      series: Object.fromEntries(
        [...this.series].map(([name, points]) => [
          name,
          points.map((p) => ({ step: p.step, value: encodeMetricValue(p.value), at: p.at })),
        ]),
      ),
    };
  }
}

export async function writeRunFile(dir: string, record: RunRecord): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, RUN_FILE);
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

/** Reads a run folder's run.json; its content is checked by the service that imports it. */
export async function readRunFile(dir: string): Promise<RunRecord> {
  const path = join(dir, RUN_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(
      `${path}: cannot read the run record (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        cause: err,
      },
    );
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const format = (record as { format?: unknown } | null)?.format;
  if (format !== RUN_FORMAT)
    throw new Error(
      `${path}: not a Mercato run record (format ${JSON.stringify(format)}, expected ${RUN_FORMAT})`,
    );
  return record as RunRecord;
}

/** A run's TensorBoard event files (`tensorboard --logdir` on the folder or any parent). */
export interface RunEvents {
  readonly dir: string;
  write(points: MetricPoint[]): void;
  /** The final evaluation, as `final/<name>` scalars at `step`. */
  writeFinal(metrics: Record<string, number>, step: number): void;
  flush(): void;
}

interface SummaryWriter {
  scalar(name: string, value: number, step: number): void;
  flush(): void;
}

/**
 * Opens the event files of a run in `dir`, written by tfjs-node's native summary writer (its
 * events.out.tfevents.* files). The writer needs the native binding: on the pure-JS and WASM
 * backends there is none, and the answer says so instead.
 */
export async function openRunEvents(
  dir: string,
  backend?: BackendPreference,
): Promise<RunEvents | { unavailable: string }> {
  const selected = await selectBackend(backend);
  const node = (selected.tf as unknown as { node?: { summaryFileWriter?: (dir: string) => SummaryWriter } })
    .node;
  if ((selected.name !== 'tensorflow' && selected.name !== 'tensorflow-gpu') || !node?.summaryFileWriter)
    return {
      unavailable: `TensorBoard event files need the native TensorFlow backend (tensorflow or tensorflow-gpu); this process runs on ${selected.name}`,
    };
  await mkdir(dir, { recursive: true });
  const writer = node.summaryFileWriter(dir);
  return {
    dir,
    // Flushed at every call: a run is followed live in TensorBoard, and a killed job keeps its events.
    write(points) {
      if (points.length === 0) return;
      for (const p of points) writer.scalar(p.name, p.value, p.step);
      writer.flush();
    },
    writeFinal(metrics, step) {
      for (const [name, value] of Object.entries(metrics)) writer.scalar(`final/${name}`, value, step);
    },
    flush: () => writer.flush(),
  };
}
