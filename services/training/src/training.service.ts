// Runs training requests end to end: claim the request, train in a worker thread (progress to logs,
// metrics and the job log), evaluate the current production version on the same held-out data,
// register the new version atomically (idempotent by request id), and promote it when asked and
// the registry's policy agrees. A job killed midway leaves no version: registration is one request.
import { type TrainingRequest } from '@mercato/contracts';
import { NonRetriableError } from '@mercato/kafka';
import {
  IntegrityError,
  RegistryClient,
  RegistryError,
  evaluateSentimentArtifact,
  readLabeledText,
  parseLabelMap,
  seededSplit,
  type JobProgress,
} from '@mercato/ml';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { counter, gauge, type Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { parseDatasetRef, type DatasetRef } from './dataset-ref';
import type { TrainingConfig } from './training.config';
import { TrainingJobRepository } from './training-job.repository';
import { runJobInWorker, TrainingFailedError } from './worker-runner';

const jobsTotal = counter('mercato_training_jobs_total', 'Training jobs by kind and outcome', [
  'kind',
  'outcome',
]);
const epochLoss = gauge('mercato_training_epoch_loss', 'Loss of the last finished epoch', ['model', 'phase']);
const epochSpeed = gauge('mercato_training_samples_per_second', 'Training throughput of the last epoch', [
  'model',
  'phase',
]);

const KIND_NAMES: Record<number, 'sentiment' | 'recommender' | undefined> = {
  1: 'sentiment',
  2: 'recommender',
};

@Injectable()
export class TrainingService {
  private readonly registry: RegistryClient;

  constructor(
    private readonly jobs: TrainingJobRepository,
    @Inject(SERVICE_CONFIG) private readonly config: TrainingConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.registry = new RegistryClient(config.MODEL_REGISTRY_URL);
  }

  async handle(request: TrainingRequest, keepAlive: () => Promise<void>): Promise<void> {
    const kind = KIND_NAMES[request.kind];
    if (!request.requestId) throw new NonRetriableError('request_id is required');
    if (!/^[a-z0-9][a-z0-9-_.]{0,62}$/.test(request.modelName))
      throw new NonRetriableError(`model_name "${request.modelName}" is not a valid model name`);
    if (kind !== 'sentiment')
      throw new NonRetriableError(
        `kind ${request.kind}: this trainer handles sentiment models (recommender training is not wired to the service yet)`,
      );
    const dataset = parseDatasetRef(request.datasetRef);
    const hyperparameters = parseHyperparameters(request.hyperparameters);

    const { row, fresh } = await this.jobs.claim({
      request_id: request.requestId,
      tenant_id: request.tenantId || 'default',
      model_name: request.modelName,
      kind,
      dataset_ref: request.datasetRef,
      hyperparameters: request.hyperparameters,
      requested_by: request.requestedBy,
    });
    if (!fresh) {
      this.logger.info(
        { requestId: request.requestId, status: row.status },
        'training request already handled; skipping',
      );
      return;
    }
    const log = this.logger.child({ requestId: request.requestId, model: request.modelName });
    log.info({ dataset: request.datasetRef, attempt: row.attempts }, 'training started');
    const heartbeat = setInterval(() => void keepAlive().catch(() => undefined), 3_000);
    try {
      const base = request.baseVersion
        ? await this.registry.download(request.modelName, Number(request.baseVersion))
        : undefined;
      const result = await runJobInWorker(
        {
          kind,
          dataset,
          hyperparameters,
          base: base && { files: base.files, version: request.baseVersion },
          backend: this.config.TF_BACKEND,
        },
        (p) => this.onProgress(request, p, log),
      );
      const champion = await this.evaluateChampion(request.modelName, dataset, hyperparameters.seed, log);
      await this.registry.ensureModel(request.modelName, kind);
      const registered = await this.registry.register(request.modelName, {
        metrics: result.metrics,
        lineage: {
          ...result.lineage,
          trainingRequestId: request.requestId,
          requestedBy: request.requestedBy,
          datasetRef: request.datasetRef,
          ...(request.baseVersion
            ? { parent: { model: request.modelName, version: Number(request.baseVersion) } }
            : {}),
          ...(champion ? { championVersion: champion.version, championMetrics: champion.metrics } : {}),
        },
        idempotencyKey: request.requestId,
        files: result.artifact.files,
      });
      let promotion: unknown;
      if (request.promoteIfBetter) {
        promotion = await this.registry.promote(request.modelName, {
          version: registered.version,
          alias: 'production',
          actor: `training:${request.requestedBy || 'service'}`,
          reason: `training request ${request.requestId}`,
        });
      }
      await this.jobs.succeed(request.requestId, {
        metrics: result.metrics,
        championMetrics: champion?.metrics,
        version: registered.version,
        promotion,
      });
      jobsTotal.inc({ kind, outcome: 'succeeded' });
      log.info(
        {
          version: registered.version,
          metrics: result.metrics,
          champion: champion?.metrics,
          promotion,
          seconds: result.seconds,
        },
        'training finished and registered',
      );
    } catch (err) {
      // Bad data or a model that cannot train will fail the same way again: record and dead-letter it.
      const permanent =
        err instanceof NonRetriableError ||
        err instanceof TrainingFailedError ||
        err instanceof IntegrityError ||
        (err instanceof RegistryError && err.status >= 400 && err.status < 500);
      if (permanent) {
        await this.jobs.fail(request.requestId, (err as Error).message);
        jobsTotal.inc({ kind, outcome: 'failed' });
        log.error({ err: (err as Error).message }, 'training failed');
        throw new NonRetriableError((err as Error).message, { cause: err });
      }
      throw err;
    } finally {
      clearInterval(heartbeat);
    }
  }

  private onProgress(request: TrainingRequest, p: JobProgress, log: Logger): void {
    if (p.stage === 'epoch') {
      epochLoss.set({ model: request.modelName, phase: p.phase }, p.loss);
      epochSpeed.set({ model: request.modelName, phase: p.phase }, p.samplesPerSecond);
      log.info(p, `${p.phase} epoch ${p.epoch}/${p.epochs}`);
    } else {
      log.info(p, p.stage);
    }
    this.jobs
      .appendProgress(request.requestId, { at: new Date().toISOString(), ...p })
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not record progress'));
  }

  /** The production version's metrics on this job's held-out data, for a like-for-like comparison. */
  private async evaluateChampion(
    name: string,
    dataset: DatasetRef,
    seed: number | undefined,
    log: Logger,
  ): Promise<{ version: number; metrics: Record<string, number> } | undefined> {
    const version = await this.registry.resolveAlias(name, 'production');
    if (version === undefined || dataset.type !== 'file') return undefined;
    const labelMap = dataset.labelMap ? parseLabelMap(dataset.labelMap) : undefined;
    const test = dataset.testPath
      ? readLabeledText(dataset.testPath, labelMap)
      : seededSplit(readLabeledText(dataset.path, labelMap), dataset.testSplit ?? 0.2, seed ?? 42).test;
    try {
      const { files } = await this.registry.download(name, version);
      const report = await evaluateSentimentArtifact({ files }, test, this.config.TF_BACKEND);
      return { version, metrics: { accuracy: report.accuracy, macro_f1: report.macroF1 } };
    } catch (err) {
      log.warn({ err: (err as Error).message, version }, 'could not evaluate the production version');
      return undefined;
    }
  }
}

function parseHyperparameters(raw: Record<string, string>): Record<string, number> & { seed?: number } {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(raw)) {
    const n = Number(value);
    if (!Number.isFinite(n))
      throw new NonRetriableError(`hyperparameters.${key}: expected a number, got "${value}"`);
    out[key] = n;
  }
  return out;
}
