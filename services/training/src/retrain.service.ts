// Retraining triggers for per-tenant recommenders (RECOMMENDER_RETRAIN_AFTER_INTERACTIONS and
// RECOMMENDER_RETRAIN_INTERVAL_S): counts each tenant's new interactions and, when a retrain is
// due, publishes one TrainingRequest for `recommender-<tenant>` on the feature service's dataset
// with a time-based split (the last RECOMMENDER_RETRAIN_HOLDOUT_S before as_of is held out) and
// promote_if_better. Request ids derive from the tenant and a per-tenant generation number, so a
// redelivered batch or a republish after a crash never trains twice.
import { isModelName } from '@mercato/contracts';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { counter, traceWork, type Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { RetrainRepository, type DueRetrain } from './retrain.repository';
import type { TrainingConfig } from './training.config';
import { TrainingRequestPublisher } from './training-request.publisher';

const retrainRequests = counter('mercato_training_retrain_requests_total', 'Retrain requests published', [
  'trigger',
]);

/** Interaction ids are remembered this long: any redelivery happens far sooner. */
const SEEN_RETENTION_S = 7 * 86_400;

export const recommenderModelName = (tenantId: string): string => `recommender-${tenantId}`;

export const retrainRequestId = (tenantId: string, generation: number): string =>
  `${recommenderModelName(tenantId)}-retrain-${generation}`;

@Injectable()
export class RetrainService extends PolledWork {
  constructor(
    private readonly counters: RetrainRepository,
    private readonly publisher: TrainingRequestPublisher,
    @Inject(SERVICE_CONFIG) private readonly config: TrainingConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    const interval = config.RECOMMENDER_RETRAIN_INTERVAL_S;
    const periodMs = Math.min(30, interval > 0 ? Math.max(1, Math.ceil(interval / 4)) : 30) * 1000;
    super({ what: 'retrain check', intervalMs: periodMs, maxBackoffMs: periodMs, logger });
  }

  /** New interactions (tenant, id); redelivered ones are not counted again. */
  async record(interactions: { tenantId: string; interactionId: string }[]): Promise<void> {
    const only = this.config.RECOMMENDER_RETRAIN_TENANTS;
    const counted = only.length > 0 ? interactions.filter((i) => only.includes(i.tenantId)) : interactions;
    const touched = await this.counters.count(counted);
    if (touched.length === 0 || this.config.RECOMMENDER_RETRAIN_AFTER_INTERACTIONS === 0) return;
    const due = await this.counters.claimDue({
      tenants: touched,
      afterInteractions: this.config.RECOMMENDER_RETRAIN_AFTER_INTERACTIONS,
      intervalSeconds: 0,
    });
    for (const d of due) await this.publish(d, 'interactions');
  }

  /**
   * The periodic pass: publishes what a crash left decided but unpublished, fires the count trigger
   * of tenants that reached it while their model was training and the interval trigger, and prunes
   * remembered interaction ids.
   */
  protected async step(): Promise<boolean> {
    // Each request published here is a unit of background work, and the trace its training job continues.
    const publish = (d: DueRetrain, trigger: 'interactions' | 'interval' | 'republish'): Promise<void> =>
      traceWork('retrain request', () => this.publish(d, trigger), {
        attributes: { 'mercato.trigger': trigger },
      });
    for (const d of await this.counters.unpublished()) await publish(d, 'republish');
    if (this.config.RECOMMENDER_RETRAIN_AFTER_INTERACTIONS > 0) {
      const due = await this.counters.claimDue({
        afterInteractions: this.config.RECOMMENDER_RETRAIN_AFTER_INTERACTIONS,
        intervalSeconds: 0,
      });
      for (const d of due) await publish(d, 'interactions');
    }
    if (this.config.RECOMMENDER_RETRAIN_INTERVAL_S > 0) {
      const due = await this.counters.claimDue({
        afterInteractions: 0,
        intervalSeconds: this.config.RECOMMENDER_RETRAIN_INTERVAL_S,
      });
      for (const d of due) await publish(d, 'interval');
    }
    await this.counters.pruneSeen(SEEN_RETENTION_S);
    return false;
  }

  private async publish(due: DueRetrain, trigger: 'interactions' | 'interval' | 'republish'): Promise<void> {
    const modelName = recommenderModelName(due.tenantId);
    if (!isModelName(modelName)) {
      this.logger.warn({ tenantId: due.tenantId }, 'tenant id cannot form a model name; retrain skipped');
      await this.counters.markPublished(due.tenantId, due.generation);
      return;
    }
    const asOf = due.asOf;
    const splitAt = new Date(asOf.getTime() - this.config.RECOMMENDER_RETRAIN_HOLDOUT_S * 1000);
    const requestId = retrainRequestId(due.tenantId, due.generation);
    await this.publisher.publish({
      requestId,
      tenantId: due.tenantId,
      modelName,
      datasetRef: `feature:interactions?as_of=${asOf.toISOString()}&split_at=${splitAt.toISOString()}`,
      requestedBy: `retrain:${trigger}`,
      requestedAt: asOf,
    });
    await this.counters.markPublished(due.tenantId, due.generation);
    retrainRequests.inc({ trigger });
    this.logger.info({ tenantId: due.tenantId, requestId, trigger }, 'recommender retrain requested');
  }
}
