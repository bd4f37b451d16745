// Runs training requests end to end, for sentiment and recommender models: claim the request, train
// in a worker thread (progress to logs, metrics, the job log and the attempt's experiment run),
// evaluate the current production version on the same held-out data, register the new version
// atomically (idempotent by request id) with metrics and lineage (dataset hash, code version,
// backend, hyperparameters, parent, per-epoch history, the run id), signed with the model signing
// key when one is configured (MODEL_SIGNING_KEY), and promote it when asked and the registry's
// policy agrees. A job killed midway leaves no version: registration is one request.
import { authHeaders, serviceApiKey as platformServiceKey } from '@mercato/auth';
import { isModelName, parseModelRefs, type ModelRef, type TrainingRequest } from '@mercato/contracts';
import { NonRetriableError, uuidV5 } from '@mercato/kafka';
import {
  IntegrityError,
  RegistryClient,
  RegistryError,
  signArtifact,
  signerFromConfig,
  type ModelSigner,
} from '@mercato/registry-client';
import { stratifiedSplit } from '@mercato/synthetic';
import {
  CODE_VERSION,
  coerceHyperparameters,
  defaultHyperparameters,
  evaluateSentimentArtifact,
  parseRecommenderHyperparameters,
  DEFAULT_RANKING_OBJECTIVE,
  readLabeledText,
  parseLabelMap,
  splitFeedback,
  type ArtifactFile,
  type JobProgress,
  type LabeledText,
  type RecommenderHyperparameters,
  type SentimentArchitecture,
  type SentimentHyperparameterValues,
} from '@mercato/ml';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { counter, gauge, inBackground, type Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { join } from 'node:path';
import { parseDatasetRef, type DatasetRef } from './dataset-ref';
import { DatasetUnavailableError, readSentimentFeedback } from './feature-dataset';
import { RunRecorder } from './run-recorder';
import { syntheticNewsTest } from './synthetic-news';
import { RunRepository } from './run.repository';
import { serviceApiKey, type TrainingConfig } from './training.config';
import { TrainingJobRepository } from './training-job.repository';
import { runJobInWorker, TrainingCancelledError, TrainingFailedError } from './worker-runner';

/** What a finished job hands to registration, whatever the model kind. */
interface TrainedModel {
  files: ArtifactFile[];
  metrics: Record<string, number>;
  lineage: Record<string, unknown>;
  champion?: { version: number; metrics: Record<string, number> };
  seconds: number;
}

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

/** Namespace of run ids (uuidV5 of `<request id>#<attempt>`). */
const RUN_NAMESPACE = '4c2f7f53-8f1e-4a8e-9d55-0f3b6f0c2a24';

/** Where a job reports to: the logger, the progress relay (job log, run) and its TensorBoard folder. */
interface JobContext {
  log: Logger;
  onProgress: (p: JobProgress) => void;
  events?: string;
}

/** A trained model's lineage as run parameters: everything but the per-epoch history, a series already. */
function runParams(trained: TrainedModel): Record<string, unknown> {
  const { history: _history, ...params } = trained.lineage;
  return params;
}

@Injectable()
export class TrainingService {
  private readonly registry: RegistryClient;
  private readonly signer: ModelSigner | undefined;

  constructor(
    private readonly jobs: TrainingJobRepository,
    private readonly runs: RunRepository,
    @Inject(SERVICE_CONFIG) private readonly config: TrainingConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.registry = new RegistryClient(config.MODEL_REGISTRY_URL, 60_000, authHeaders(platformServiceKey()));
    this.signer = signerFromConfig(config);
  }

  /** The registry as the request's tenant sees it: the platform key acts for that tenant. */
  private registryFor(request: TrainingRequest): RegistryClient {
    return request.tenantId ? this.registry.forTenant(request.tenantId) : this.registry;
  }

  async handle(request: TrainingRequest, keepAlive: () => Promise<void>): Promise<void> {
    const kind = KIND_NAMES[request.kind];
    if (!request.requestId) throw new NonRetriableError('request_id is required');
    if (!isModelName(request.modelName))
      throw new NonRetriableError(`model_name "${request.modelName}" is not a valid model name`);
    if (!kind) throw new NonRetriableError(`kind ${request.kind}: expected sentiment or recommender`);
    const dataset = parseDatasetRef(request.datasetRef);
    if (kind === 'sentiment' && dataset.type === 'feature')
      throw new NonRetriableError('dataset_ref: sentiment models do not train on feature datasets');
    if (kind === 'recommender' && dataset.type === 'synthetic')
      throw new NonRetriableError('dataset_ref: recommenders train on file: or feature: datasets');
    const architecture = kind === 'sentiment' ? parseArchitecture(request) : undefined;
    const sentimentHp = architecture ? parseSentimentHp(architecture, request.hyperparameters) : {};
    const recommenderHp = kind === 'recommender' ? parseRecommenderHp(request.hyperparameters, dataset) : {};

    const { row, fresh } = await this.jobs.claim({
      request_id: request.requestId,
      tenant_id: request.tenantId || 'default',
      model_name: request.modelName,
      kind,
      dataset_ref: request.datasetRef,
      hyperparameters: request.hyperparameters,
      requested_by: request.requestedBy,
      architecture: architecture ?? null,
    });
    if (!fresh) {
      this.logger.info(
        { requestId: request.requestId, status: row.status },
        'training request already handled; skipping',
      );
      return;
    }
    const run = await this.startRun(request, row.tenant_id, row.attempts, architecture, {
      ...(kind === 'sentiment' ? sentimentHp : recommenderHp),
    });
    const log = this.logger.child({
      requestId: request.requestId,
      model: request.modelName,
      runId: run.runId,
    });
    log.info({ dataset: request.datasetRef, attempt: row.attempts }, 'training started');
    const events = this.config.TENSORBOARD_LOGDIR
      ? join(this.config.TENSORBOARD_LOGDIR, run.tenantId, request.modelName, run.runId)
      : undefined;
    const onProgress = (p: JobProgress): void => {
      run.observe(p);
      this.onProgress(request, p, log);
    };
    let trained: TrainedModel | undefined;
    // The heartbeat also looks for a cancellation recorded by the API (on any replica). It is
    // background work: its queries stay out of the job's trace, which a long job would fill.
    const cancel = new AbortController();
    const heartbeat = inBackground(() =>
      setInterval(() => {
        void keepAlive().catch(() => undefined);
        void this.jobs
          .cancelRequested(request.requestId)
          .then((requested) => {
            if (requested && !cancel.signal.aborted) {
              log.info('cancellation requested: stopping the job at its next step');
              cancel.abort();
            }
          })
          .catch(() => undefined);
      }, 3_000),
    );
    try {
      trained =
        kind === 'sentiment'
          ? await this.trainSentiment(
              request,
              architecture ?? 'transformer',
              dataset,
              sentimentHp,
              { log, onProgress, events },
              cancel.signal,
            )
          : await this.trainRecommender(
              request,
              dataset,
              recommenderHp,
              { log, onProgress, events },
              cancel.signal,
            );
      const { champion } = trained;
      await this.registryFor(request).ensureModel(request.modelName, kind);
      const registered = await this.registryFor(request).register(request.modelName, {
        metrics: trained.metrics,
        lineage: {
          ...trained.lineage,
          trainingRequestId: request.requestId,
          requestedBy: request.requestedBy,
          datasetRef: request.datasetRef,
          ...(request.tenantId ? { tenantId: request.tenantId } : {}),
          ...(champion ? { championVersion: champion.version, championMetrics: champion.metrics } : {}),
          runId: run.runId,
        },
        idempotencyKey: request.requestId,
        files: trained.files,
        ...(this.signer ? { signature: signArtifact(this.signer, request.modelName, trained.files) } : {}),
      });
      await run.finish({
        status: 'finished',
        metrics: trained.metrics,
        version: registered.version,
        params: runParams(trained),
      });
      let promotion: unknown;
      if (request.promoteIfBetter) {
        const registry = this.registryFor(request);
        // A recommender that already serves goes to shadow first (RECOMMENDER_PROMOTE_TO): scoring
        // compares it online and promotes or rejects it. The first version goes straight to production.
        const alias =
          kind === 'recommender' &&
          this.config.RECOMMENDER_PROMOTE_TO === 'shadow' &&
          (await registry.resolveAlias(request.modelName, 'production')) !== undefined
            ? 'shadow'
            : 'production';
        promotion = await registry.promote(request.modelName, {
          version: registered.version,
          alias,
          reason: `training request ${request.requestId} by ${request.requestedBy || 'the service'}`,
        });
      }
      await this.jobs.succeed(request.requestId, {
        metrics: trained.metrics,
        championMetrics: champion?.metrics,
        version: registered.version,
        promotion,
      });
      jobsTotal.inc({ kind, outcome: 'succeeded' });
      log.info(
        {
          version: registered.version,
          metrics: trained.metrics,
          champion: champion?.metrics,
          promotion,
          seconds: trained.seconds,
        },
        'training finished and registered',
      );
    } catch (err) {
      const params = trained && runParams(trained);
      if (err instanceof TrainingCancelledError) {
        await run.finish({ status: 'cancelled', error: err.message, params });
        await this.jobs.cancelled(request.requestId, err.message);
        jobsTotal.inc({ kind, outcome: 'cancelled' });
        log.info('training cancelled; nothing registered');
        return;
      }
      // Bad data or a model that cannot train will fail the same way again: record and dead-letter it.
      const permanent =
        err instanceof NonRetriableError ||
        err instanceof TrainingFailedError ||
        err instanceof IntegrityError ||
        (err instanceof RegistryError && err.status >= 400 && err.status < 500);
      await run.finish({
        status: 'failed',
        error: permanent
          ? (err as Error).message
          : `${(err as Error).message} (the request is retried as a new run)`,
        params,
      });
      if (permanent) {
        await this.jobs.fail(request.requestId, (err as Error).message);
        jobsTotal.inc({ kind, outcome: 'failed' });
        log.error({ err: (err as Error).message }, 'training failed');
        if (request.promoteIfBetter) await this.recordFailedRetrain(request, (err as Error).message, log);
        throw new NonRetriableError((err as Error).message, { cause: err });
      }
      throw err;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * A failed job meant to replace production (promote if better) leaves production as it is; the
   * registry records why (alias history, a RETRAIN_FAILED event), so `mercato models history` shows
   * it beside the promotions. A model without production had nothing to replace (409), and a
   * registry that cannot be reached is logged: the job itself keeps the error either way.
   */
  private async recordFailedRetrain(request: TrainingRequest, reason: string, log: Logger): Promise<void> {
    try {
      await this.registryFor(request).retrainFailed(request.modelName, {
        alias: 'production',
        requestId: request.requestId,
        reason,
      });
    } catch (err) {
      if (err instanceof RegistryError && (err.status === 404 || err.status === 409)) return;
      log.warn({ err: (err as Error).message }, 'could not record the failed retrain in the registry');
    }
  }

  /**
   * The experiment run of this attempt: a deterministic id per request and attempt, and an attempt
   * of the same request that a crash left running is ended as interrupted, its curves kept.
   */
  private async startRun(
    request: TrainingRequest,
    tenantId: string,
    attempt: number,
    architecture: SentimentArchitecture | undefined,
    hyperparameters: Record<string, unknown>,
  ): Promise<RunRecorder> {
    const runId = uuidV5(RUN_NAMESPACE, `${request.requestId}#${attempt}`);
    await this.runs.start({
      tenantId,
      runId,
      model: request.modelName,
      kind: KIND_NAMES[request.kind] ?? 'sentiment',
      architecture: architecture ?? null,
      source: request.requestedBy.startsWith('retrain:') ? 'retrain' : 'job',
      requestId: request.requestId,
      requestedBy: request.requestedBy,
      params: {
        datasetRef: request.datasetRef,
        hyperparameters,
        codeVersion: CODE_VERSION,
        ...(request.teacher ? { teacher: request.teacher } : {}),
        ...(request.baseVersion ? { baseVersion: Number(request.baseVersion) } : {}),
        attempt,
      },
      tags: request.tags,
    });
    await this.runs.interruptEarlier(tenantId, request.requestId, runId);
    await this.jobs.attachRun(request.requestId, runId);
    return new RunRecorder(this.runs, tenantId, runId, this.logger);
  }

  private async trainSentiment(
    request: TrainingRequest,
    architecture: SentimentArchitecture,
    dataset: DatasetRef,
    hyperparameters: SentimentHyperparameterValues,
    { log, onProgress, events }: JobContext,
    signal: AbortSignal,
  ): Promise<TrainedModel> {
    const registry = this.registryFor(request);
    const base = request.baseVersion
      ? await registry.download(request.modelName, Number(request.baseVersion))
      : undefined;
    const teachers =
      architecture === 'student' ? await this.resolveTeachers(registry, request.teacher) : undefined;
    const feedback = await this.sentimentFeedback(request, onProgress);
    const result = await runJobInWorker(
      {
        kind: 'sentiment',
        architecture,
        dataset,
        hyperparameters,
        base: base && { files: base.files, version: request.baseVersion },
        teachers,
        ...(feedback && 'examples' in feedback ? { feedback } : {}),
        backend: this.config.TF_BACKEND,
        events,
      },
      onProgress,
      signal,
    );
    const champion = await this.evaluateChampion(
      registry,
      request.modelName,
      dataset,
      typeof hyperparameters.seed === 'number' ? hyperparameters.seed : undefined,
      feedback && 'holdout' in feedback ? feedback.holdout : [],
      log,
    );
    return {
      files: result.artifact.files,
      metrics: result.metrics,
      lineage: {
        ...result.lineage,
        ...(feedback && 'unavailable' in feedback
          ? {
              feedback: {
                examples: 0,
                weight: this.config.SENTIMENT_FEEDBACK_WEIGHT,
                replaced: 0,
                unavailable: feedback.unavailable,
              },
            }
          : {}),
        ...(request.baseVersion
          ? { parent: { model: request.modelName, version: Number(request.baseVersion) } }
          : {}),
        ...(teachers
          ? { teachers: teachers.map((t) => ({ model: t.name, version: Number(t.version) })) }
          : {}),
      },
      champion,
      seconds: result.seconds,
    };
  }

  /**
   * The tenant's analyst corrections as of the request (a request with a tenant, feedback on): about
   * a fifth set aside by text as fresh held-out data, the rest to join the training part. A feature
   * service that does not answer does not stop the fine-tune: the corrections stay stored for the
   * next one, a warning says so, and the version's lineage says none were joined and why.
   */
  private async sentimentFeedback(
    request: TrainingRequest,
    onProgress: (p: JobProgress) => void,
  ): Promise<
    { examples: LabeledText[]; holdout: LabeledText[]; weight: number } | { unavailable: string } | undefined
  > {
    const weight = this.config.SENTIMENT_FEEDBACK_WEIGHT;
    if (!request.tenantId || weight === 0) return undefined;
    const asOf = requestTime(request).toISOString();
    onProgress({ stage: 'loading', message: `sentiment feedback as of ${asOf}` });
    try {
      const { train, holdout } = splitFeedback(
        await readSentimentFeedback({
          url: this.config.FEATURE_URL,
          apiKey: serviceApiKey(this.config),
          tenantId: request.tenantId,
          asOf,
        }),
      );
      return { examples: train, holdout, weight };
    } catch (err) {
      if (!(err instanceof DatasetUnavailableError))
        throw new NonRetriableError(`sentiment feedback: ${(err as Error).message}`, { cause: err });
      onProgress({
        stage: 'warning',
        message: `no analyst feedback joined: ${err.message} (it joins the next fine-tune)`,
      });
      return { unavailable: err.message };
    }
  }

  /**
   * A student's teachers: comma-separated `name`, `name@alias` or `name@version` references in the
   * request's tenant (one teacher, or the ensemble the student learns from).
   */
  private async resolveTeachers(
    registry: RegistryClient,
    references: string,
  ): Promise<{ files: ArtifactFile[]; name: string; version: string }[]> {
    if (!references) throw new NonRetriableError('teacher: a student needs a teacher model reference');
    let refs: ModelRef[];
    try {
      refs = parseModelRefs(references);
    } catch (err) {
      throw new NonRetriableError(`teacher: ${(err as Error).message}`);
    }
    const teachers: { files: ArtifactFile[]; name: string; version: string }[] = [];
    for (const ref of refs) {
      // An alias that is not set is a 404 of the registry: permanent, as every 4xx here.
      const version = await registry.resolve(ref);
      const { files } = await registry.download(ref.name, version);
      teachers.push({ files, name: ref.name, version: String(version) });
    }
    return teachers;
  }

  /**
   * The production version is downloaded here and scored inside the job, on the very same held-out
   * interactions and sampled candidates as the new model. Recommenders always train from scratch;
   * the lineage's parent is the base version when one is named, else the version being challenged.
   */
  private async trainRecommender(
    request: TrainingRequest,
    dataset: DatasetRef,
    hyperparameters: Partial<RecommenderHyperparameters>,
    { log, onProgress, events }: JobContext,
    signal: AbortSignal,
  ): Promise<TrainedModel> {
    const championVersion = await this.registryFor(request).resolveAlias(request.modelName, 'production');
    let champion: { files: ArtifactFile[]; version: number } | undefined;
    if (championVersion !== undefined) {
      try {
        champion = {
          files: (await this.registryFor(request).download(request.modelName, championVersion)).files,
          version: championVersion,
        };
      } catch (err) {
        log.warn(
          { err: (err as Error).message, version: championVersion },
          'could not download the production version',
        );
      }
    }
    // A feature dataset without as_of is pinned to the request time, so a retry reads the same data.
    const pinned =
      dataset.type === 'feature' && !dataset.asOf
        ? { ...dataset, asOf: requestTime(request).toISOString() }
        : dataset;
    const result = await runJobInWorker(
      {
        kind: 'recommender',
        dataset: pinned,
        hyperparameters,
        champion,
        backend: this.config.TF_BACKEND,
        feature: {
          url: this.config.FEATURE_URL,
          apiKey: serviceApiKey(this.config),
          tenantId: request.tenantId || undefined,
        },
        events,
      },
      onProgress,
      signal,
    );
    if (result.champion && 'error' in result.champion)
      log.warn(
        { err: result.champion.error, version: result.champion.version },
        'could not evaluate the production version',
      );
    const parentVersion = request.baseVersion ? Number(request.baseVersion) : championVersion;
    return {
      files: result.artifact.files,
      metrics: result.metrics,
      lineage: {
        ...result.lineage,
        ...(pinned.type === 'feature'
          ? { featureDataset: { asOf: pinned.asOf, splitAt: pinned.splitAt } }
          : {}),
        ...(parentVersion !== undefined
          ? { parent: { model: request.modelName, version: parentVersion } }
          : {}),
      },
      champion: result.champion && 'metrics' in result.champion ? result.champion : undefined,
      seconds: result.seconds,
    };
  }

  private onProgress(request: TrainingRequest, p: JobProgress, log: Logger): void {
    if (p.stage === 'epoch') {
      epochLoss.set({ model: request.modelName, phase: p.phase }, p.loss);
      epochSpeed.set({ model: request.modelName, phase: p.phase }, p.samplesPerSecond);
      log.info(p, `${p.phase} epoch ${p.epoch}/${p.epochs}`);
    } else if (p.stage === 'warning') {
      log.warn(p, p.message);
    } else if (p.stage === 'step') {
      epochSpeed.set({ model: request.modelName, phase: p.phase }, p.samplesPerSecond);
      log.debug(p, `${p.phase} step ${p.step}/${p.steps}`);
    } else {
      log.info(p, p.stage);
    }
    this.jobs
      .appendProgress(request.requestId, { at: new Date().toISOString(), ...p })
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'could not record progress'));
  }

  /**
   * The production version's metrics on this job's held-out data (the analysts' held-out corrections
   * included), for a like-for-like comparison.
   */
  private async evaluateChampion(
    registry: RegistryClient,
    name: string,
    dataset: DatasetRef,
    seed: number | undefined,
    feedbackHoldout: LabeledText[],
    log: Logger,
  ): Promise<{ version: number; metrics: Record<string, number> } | undefined> {
    const version = await registry.resolveAlias(name, 'production');
    if (version === undefined || dataset.type === 'feature') return undefined;
    // The very held-out part the job evaluated the new version on (runSentimentJob's split).
    let test: LabeledText[];
    if (dataset.type === 'synthetic') {
      test = syntheticNewsTest(dataset.seed, dataset.count);
    } else {
      const labelMap = dataset.labelMap ? parseLabelMap(dataset.labelMap) : undefined;
      const read = { format: dataset.format, encoding: dataset.encoding, onWarning: () => undefined };
      test = dataset.testPath
        ? readLabeledText(dataset.testPath, labelMap, read)
        : stratifiedSplit(
            readLabeledText(dataset.path, labelMap, read),
            dataset.testSplit ?? 0.2,
            seed ?? 42,
            (d) => d.label,
          ).test;
    }
    // The analysts' held-out corrections too, as the job evaluated the new version on them.
    test = [...test, ...feedbackHoldout];
    try {
      const { files } = await registry.download(name, version);
      const report = await evaluateSentimentArtifact({ files }, test, this.config.TF_BACKEND);
      return { version, metrics: { accuracy: report.accuracy, macro_f1: report.macroF1 } };
    } catch (err) {
      log.warn({ err: (err as Error).message, version }, 'could not evaluate the production version');
      return undefined;
    }
  }
}

function requestTime(request: TrainingRequest): Date {
  const at = request.requestedAt;
  return at ? new Date(Number(at.seconds) * 1000 + Math.floor(at.nanos / 1e6)) : new Date();
}

/**
 * Feature datasets are interaction logs: without an objective they train the ranking default
 * (DEFAULT_RANKING_OBJECTIVE, the sequential two-tower model: the winner of bench/recommender.ts).
 */
function parseRecommenderHp(
  raw: Record<string, string>,
  dataset: DatasetRef,
): Partial<RecommenderHyperparameters> {
  try {
    const hp = parseRecommenderHyperparameters(raw);
    return dataset.type === 'feature' && !hp.objective ? { ...hp, objective: DEFAULT_RANKING_OBJECTIVE } : hp;
  } catch (err) {
    throw new NonRetriableError((err as Error).message);
  }
}

const ARCHITECTURES: readonly SentimentArchitecture[] = ['transformer', 'student', 'cnn'];

/** A sentiment request's architecture: transformer unless it names another. */
function parseArchitecture(request: TrainingRequest): SentimentArchitecture {
  const architecture = (request.architecture || 'transformer') as SentimentArchitecture;
  if (!ARCHITECTURES.includes(architecture))
    throw new NonRetriableError(
      `architecture "${request.architecture}": expected ${ARCHITECTURES.join(', ')}`,
    );
  if (architecture === 'student' && !request.teacher)
    throw new NonRetriableError('teacher: a student request needs a teacher model reference');
  return architecture;
}

function parseSentimentHp(
  architecture: SentimentArchitecture,
  raw: Record<string, string>,
): SentimentHyperparameterValues {
  try {
    return coerceHyperparameters(
      architecture,
      defaultHyperparameters(architecture),
      raw,
    ) as SentimentHyperparameterValues;
  } catch (err) {
    throw new NonRetriableError((err as Error).message);
  }
}
