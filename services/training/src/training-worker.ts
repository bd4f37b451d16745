// The worker-thread entry that runs one training job. TensorFlow's native binding runs ops
// synchronously, so training lives here, off the service's event loop: health checks, the jobs API
// and Kafka heartbeats stay responsive while a model trains.
import {
  runSentimentJob,
  SENTIMENT_LABELS,
  type JobProgress,
  type JobResult,
  type SentimentJobSpec,
} from '@mercato/ml';
import { generateNews } from '@mercato/testing';
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerJob, WorkerMessage } from './worker-protocol';

function syntheticNews(seed: number, count: number): SentimentJobSpec['inline'] {
  const toLabeled = (s: number, n: number) =>
    generateNews({ seed: s, count: n, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 60_000 }).map(
      (a) => ({
        text: a.headline,
        label: SENTIMENT_LABELS.indexOf(a.sentiment),
      }),
    );
  return {
    train: toLabeled(seed, count),
    test: toLabeled(seed + 1_000_003, Math.max(50, Math.round(count / 5))),
  };
}

async function run(job: WorkerJob): Promise<JobResult> {
  const post = (message: WorkerMessage): void => parentPort?.postMessage(message);
  const onProgress = (progress: JobProgress): void => post({ type: 'progress', progress });
  const { dataset } = job;
  const spec: SentimentJobSpec =
    dataset.type === 'synthetic'
      ? { kind: 'sentiment', trainPath: '', inline: syntheticNews(dataset.seed, dataset.count) }
      : {
          kind: 'sentiment',
          trainPath: dataset.path,
          testPath: dataset.testPath,
          testSplit: dataset.testSplit,
          labelMap: dataset.labelMap,
          pretrainPath: dataset.pretrainPath,
        };
  return runSentimentJob(
    { ...spec, hyperparameters: job.hyperparameters, base: job.base, backend: job.backend },
    onProgress,
  );
}

run(workerData as WorkerJob)
  .then((result) => {
    // Copied, not transferred: the bytes may sit in Node's shared Buffer pool.
    parentPort?.postMessage({ type: 'result', result } satisfies WorkerMessage);
  })
  .catch((err: unknown) => {
    parentPort?.postMessage({
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
    } satisfies WorkerMessage);
  });
