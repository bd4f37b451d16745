// Retraining on drift (RETRAIN_ON_DRIFT) and after feedback (RETRAIN_AFTER_FEEDBACK): a
// ModelMonitoring event about the version holding a sentiment model's production alias, whose
// `drifted` is not empty, or (from the feature service) whose `feedback_texts` exceeds the corrected
// texts that version trained with (its lineage's feedback) by RETRAIN_AFTER_FEEDBACK, becomes one
// TrainingRequest that trains that version's recipe again (its lineage: dataset reference,
// architecture, hyperparameters, teacher at production, or an ensemble's teachers at their versions), so the tenant's analyst feedback since then
// joins it, with promote_if_better: the registry's policy then decides on the same held-out data.
// A production version is retrained at most once on drift (request id `<model>-drift-v<version>`,
// which the training consumer dedupes, and a row in drift_retrains): a challenger that loses does not
// make every later drifted window retrain the same version. After feedback it is retrained again each
// time its analysts have corrected another RETRAIN_AFTER_FEEDBACK texts since its last retrain
// (`<model>-feedback-v<version>-<corrected texts>`): new labels are new information. Never while a
// job of the model runs (a later event asks again).
// A version whose recipe cannot be trained again (no dataset reference: the shipped default model)
// is left in production and the reason logged and counted.
import { authHeaders, serviceApiKey as platformServiceKey } from '@mercato/auth';
import { lineageTeachers, ModelKind, type ModelMonitoring } from '@mercato/contracts';
import { RegistryClient } from '@mercato/registry-client';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { counter, type Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { DriftRetrainRepository } from './drift-retrain.repository';
import type { TrainingConfig } from './training.config';
import { TrainingRequestPublisher } from './training-request.publisher';

const driftDecisions = counter(
  'mercato_training_drift_decisions_total',
  'Drifted-model (and feedback) events, by what the training service did (retrain, feedback_retrain, feedback_pending, already_retrained, job_running, not_production, no_recipe, not_sentiment)',
  ['outcome'],
);

export const driftRequestId = (model: string, version: number): string => `${model}-drift-v${version}`;
export const feedbackRequestId = (model: string, version: number, corrected: number): string =>
  `${model}-feedback-v${version}-${corrected}`;

/** Corrected texts a version trained with (and was held out on), from its lineage. */
const feedbackSeen = (lineage: Record<string, unknown>): number => {
  const f = lineage.feedback as { examples?: unknown; heldOut?: unknown } | undefined;
  const n = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return n(f?.examples) + n(f?.heldOut);
};

/**
 * The teacher reference a retrained student learns from: a single teacher's model at production (it
 * may have a better version by now); an ensemble's teachers at the very versions it had (their
 * model's production alias names one version, not several).
 */
export const retrainTeachers = (teachers: readonly { model: string; version: number }[]): string => {
  const [only] = teachers;
  if (teachers.length === 1 && only) return `${only.model}@production`;
  return teachers.map((t) => `${t.model}@${t.version}`).join(',');
};

@Injectable()
export class DriftRetrainService {
  private readonly registry: RegistryClient;

  constructor(
    private readonly store: DriftRetrainRepository,
    private readonly publisher: TrainingRequestPublisher,
    @Inject(SERVICE_CONFIG) private readonly config: TrainingConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.registry = new RegistryClient(config.MODEL_REGISTRY_URL, 60_000, authHeaders(platformServiceKey()));
  }

  async onMonitoring(event: ModelMonitoring, fallbackTenant: string): Promise<void> {
    const drifted = this.config.RETRAIN_ON_DRIFT && event.drifted.length > 0;
    const corrected = event.figures.feedback_texts;
    const afterFeedback = this.config.RETRAIN_AFTER_FEEDBACK;
    if (!drifted && (afterFeedback === 0 || corrected === undefined)) return;
    const tenantId = event.tenantId || fallbackTenant;
    const model = event.modelName;
    const version = Number(event.version);
    const log = this.logger.child({ tenantId, model, version, drifted: event.drifted });
    const outcome = (o: string, message: string): void => {
      driftDecisions.inc({ outcome: o });
      log.info({ outcome: o }, message);
    };
    if (event.kind !== ModelKind.SENTIMENT)
      return outcome('not_sentiment', 'drift of a non-sentiment model: no retrain recipe');
    const previous = await this.store.previous(tenantId, model, version);
    const driftDue = drifted && previous === undefined;
    const sincePrevious = (corrected ?? 0) - (previous?.feedback_texts ?? 0);
    if (previous !== undefined && !(afterFeedback > 0 && sincePrevious >= afterFeedback))
      return outcome(
        'already_retrained',
        `v${version} was retrained already; ${sincePrevious} corrected texts since, ${afterFeedback} retrain it again`,
      );
    if (await this.store.running(tenantId, model))
      return outcome('job_running', 'drifted while a job of the model runs: the next window asks again');
    const registry = this.registry.forTenant(tenantId);
    const production = await registry.resolveAlias(model, 'production');
    if (production !== version)
      return outcome('not_production', `drift of v${version}, but production is ${production ?? 'unset'}`);
    const { lineage } = await registry.version(model, version);
    const unseen = (corrected ?? 0) - feedbackSeen(lineage);
    if (!driftDue && unseen < afterFeedback)
      return outcome(
        'feedback_pending',
        `${unseen} corrected texts since v${version}, ${afterFeedback} retrain`,
      );
    const datasetRef = typeof lineage.datasetRef === 'string' ? lineage.datasetRef : '';
    if (!datasetRef)
      return outcome('no_recipe', 'the production version has no dataset reference to train again on');
    const hp = (lineage.hyperparameters ?? {}) as Record<string, unknown>;
    const teachers = lineageTeachers(lineage);
    const requestId = driftDue
      ? driftRequestId(model, version)
      : feedbackRequestId(model, version, corrected ?? 0);
    await this.publisher.publish({
      requestId,
      tenantId,
      modelName: model,
      kind: ModelKind.SENTIMENT,
      datasetRef,
      architecture: typeof lineage.architecture === 'string' ? lineage.architecture : '',
      teacher: retrainTeachers(teachers),
      hyperparameters: Object.fromEntries(
        Object.entries(hp)
          .filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v))
          .map(([k, v]) => [k, String(v)]),
      ),
      requestedBy: driftDue ? 'retrain:drift' : 'retrain:feedback',
      requestedAt: new Date(),
    });
    await this.store.record(tenantId, model, version, requestId, event.figures);
    if (driftDue) outcome('retrain', `drifted (${event.drifted.join(', ')}): retrain ${requestId} requested`);
    else
      outcome(
        'feedback_retrain',
        `${unseen} corrected texts it has not seen: retrain ${requestId} requested`,
      );
  }
}
