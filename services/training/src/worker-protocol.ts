// Messages between the training service and its worker thread.
import type { BackendPreference, JobProgress, JobResult, SentimentHyperparameters } from '@mercato/ml';
import type { DatasetRef } from './dataset-ref';

export interface WorkerJob {
  kind: 'sentiment';
  dataset: DatasetRef;
  hyperparameters: Partial<SentimentHyperparameters>;
  base?: { files: { path: string; bytes: Uint8Array }[]; version?: string };
  backend?: BackendPreference;
}

export type WorkerMessage =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'result'; result: JobResult }
  | { type: 'error'; message: string };
