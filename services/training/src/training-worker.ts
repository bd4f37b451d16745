// The worker-thread entry that runs one training job. TensorFlow's native binding runs ops
// synchronously, so training lives here, off the service's event loop: health checks, the jobs API
// and Kafka heartbeats stay responsive while a model trains. Feature-store exports are fetched and
// parsed here too, for the same reason. The run's TensorBoard event files are written here as well,
// from the same progress messages the service records.
import {
  DEFAULT_RANKING_OBJECTIVE,
  encoderDir,
  openRunEvents,
  progressPoints,
  runRecommenderJob,
  runSentimentJob,
  type JobProgress,
  type JobResult,
  type RecommenderJobResult,
  type RecommenderJobSpec,
  type RunEvents,
  type SentimentJobSpec,
} from '@mercato/ml';
import { parentPort, workerData } from 'node:worker_threads';
import { syntheticNews } from './synthetic-news';
import { DatasetUnavailableError, readFeatureDataset } from './feature-dataset';
import type {
  RecommenderWorkerJob,
  SentimentWorkerJob,
  WorkerCommand,
  WorkerJob,
  WorkerMessage,
} from './worker-protocol';

let cancelled = false;
parentPort?.on('message', (command: WorkerCommand) => {
  if (command.type === 'cancel') cancelled = true;
});
const shouldStop = (): boolean => cancelled;

/** The job ended because the service asked it to stop. */
class CancelledError extends Error {}

const post = (message: WorkerMessage): void => parentPort?.postMessage(message);

let events: RunEvents | undefined;
/** TensorBoard files are a view of the run: a folder that cannot be written warns, and training goes on. */
function writeEvents(write: (e: RunEvents) => void): void {
  if (!events) return;
  try {
    write(events);
  } catch (err) {
    const dir = events.dir;
    events = undefined;
    onProgress({
      stage: 'warning',
      message: `TensorBoard events in ${dir} stopped: ${(err as Error).message}`,
    });
  }
}

function onProgress(progress: JobProgress): void {
  post({ type: 'progress', progress });
  writeEvents((e) => e.write(progressPoints(progress)));
}

async function openEvents(job: WorkerJob): Promise<void> {
  if (!job.events) return;
  try {
    const opened = await openRunEvents(job.events, job.backend);
    if ('unavailable' in opened) onProgress({ stage: 'warning', message: opened.unavailable });
    else events = opened;
  } catch (err) {
    onProgress({
      stage: 'warning',
      message: `no TensorBoard events in ${job.events}: ${(err as Error).message}`,
    });
  }
}

async function runSentiment(job: SentimentWorkerJob): Promise<JobResult> {
  const { dataset } = job;
  if (dataset.type === 'feature') throw new Error('sentiment models do not train on feature datasets');
  const spec: SentimentJobSpec =
    dataset.type === 'synthetic'
      ? { kind: 'sentiment', trainPath: '', inline: syntheticNews(dataset.seed, dataset.count) }
      : {
          kind: 'sentiment',
          trainPath: dataset.path,
          testPath: dataset.testPath,
          testSplit: dataset.testSplit,
          labelMap: dataset.labelMap,
          format: dataset.format,
          encoding: dataset.encoding,
          unlabeledPath: dataset.unlabeledPath,
        };
  const encoder =
    job.architecture === 'transformer' && !job.base
      ? await encoderDir((message) => onProgress({ stage: 'loading', message }))
      : undefined;
  const result = await runSentimentJob(
    {
      ...spec,
      architecture: job.architecture,
      hyperparameters: job.hyperparameters,
      base: job.base,
      teachers: job.teachers,
      encoderDir: encoder,
      backend: job.backend,
      ...(job.feedback ? { feedback: job.feedback } : {}),
    },
    onProgress,
    shouldStop,
  );
  if (cancelled) throw new CancelledError('cancelled on request; nothing was registered');
  return result;
}

async function runRecommender(job: RecommenderWorkerJob): Promise<RecommenderJobResult> {
  const { dataset } = job;
  let spec: RecommenderJobSpec;
  if (dataset.type === 'file') {
    spec = {
      kind: 'recommender',
      ratingsPath: dataset.path,
      itemsPath: dataset.itemsPath,
      testPath: dataset.testPath,
      testSplit: dataset.testSplit,
      split: dataset.split,
    };
  } else if (dataset.type === 'feature') {
    const asOf = dataset.asOf ?? new Date().toISOString();
    onProgress({ stage: 'loading', message: `feature:interactions as of ${asOf}` });
    const inline = await readFeatureDataset({
      url: job.feature.url,
      apiKey: job.feature.apiKey,
      tenantId: job.feature.tenantId,
      asOf,
      splitAt: dataset.splitAt,
      objective: job.hyperparameters.objective ?? DEFAULT_RANKING_OBJECTIVE,
    });
    spec = { kind: 'recommender', inline, split: 'given' };
  } else {
    throw new Error('recommenders train on file: or feature: datasets, not synthetic news');
  }
  return runRecommenderJob(
    { ...spec, hyperparameters: job.hyperparameters, backend: job.backend, champion: job.champion },
    onProgress,
  );
}

const job = workerData as WorkerJob;
openEvents(job)
  .then((): Promise<JobResult | RecommenderJobResult> =>
    job.kind === 'recommender' ? runRecommender(job) : runSentiment(job),
  )
  .then((result) => {
    writeEvents((e) => {
      e.writeFinal(result.metrics, result.metrics.epochs ?? 0);
      e.flush();
    });
    // Copied, not transferred: the bytes may sit in Node's shared Buffer pool.
    post({ type: 'result', result });
  })
  .catch((err: unknown) => {
    post({
      type: 'error',
      message: err instanceof Error ? err.message : String(err),
      retriable: err instanceof DatasetUnavailableError,
      cancelled: err instanceof CancelledError || cancelled,
    });
  });
