// Runs a training job in a worker thread and relays its progress. One worker per job; the thread
// exits when the job ends, returning all TensorFlow memory to the process.
import type { JobProgress, JobResult, RecommenderJobResult } from '@mercato/ml';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  RecommenderWorkerJob,
  SentimentWorkerJob,
  WorkerCommand,
  WorkerJob,
  WorkerMessage,
} from './worker-protocol';

/** The compiled worker; from the TypeScript sources (tests) the build in dist/ is used. */
function workerFile(): string {
  const beside = join(__dirname, 'training-worker.js');
  if (existsSync(beside)) return beside;
  return resolve(__dirname, '../../../dist/services/training/src/training-worker.js');
}

export class TrainingFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingFailedError';
  }
}

/** The job was stopped on request (POST /v1/jobs/{id}/cancel): nothing was registered. */
export class TrainingCancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingCancelledError';
  }
}

/** A job failed on something outside it (e.g. the feature service is down): worth retrying. */
export class TrainingDependencyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDependencyError';
  }
}

export function runJobInWorker(
  job: SentimentWorkerJob,
  onProgress: (p: JobProgress) => void,
  signal?: AbortSignal,
): Promise<JobResult>;
export function runJobInWorker(
  job: RecommenderWorkerJob,
  onProgress: (p: JobProgress) => void,
  signal?: AbortSignal,
): Promise<RecommenderJobResult>;
export function runJobInWorker(
  job: WorkerJob,
  onProgress: (p: JobProgress) => void,
  signal?: AbortSignal,
): Promise<JobResult | RecommenderJobResult> {
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(workerFile(), { workerData: job });
    let settled = false;
    // The worker stops between steps and answers with a cancelled error.
    const cancel = (): void => worker.postMessage({ type: 'cancel' } satisfies WorkerCommand);
    if (signal?.aborted) cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    worker.once('exit', () => signal?.removeEventListener('abort', cancel));
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'progress':
          onProgress(message.progress);
          break;
        case 'result':
          settled = true;
          resolvePromise(message.result);
          break;
        case 'error':
          settled = true;
          reject(
            message.cancelled
              ? new TrainingCancelledError(message.message)
              : message.retriable
                ? new TrainingDependencyError(message.message)
                : new TrainingFailedError(message.message),
          );
          break;
      }
    });
    worker.on('error', (err) => {
      if (!settled) reject(err instanceof Error ? err : new Error(String(err)));
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`training worker exited with code ${code}`));
    });
  });
}
