// Keeps the production sentiment model loaded and current. Start-up loads the version the production
// alias points to (none yet is fine: scoring waits); promotions and rollbacks on models.lifecycle.v1,
// and a periodic re-read of the alias for missed events, load the new version, warm it up and swap it
// in for all work that starts afterwards. Loads run one at a time; a version that fails to download,
// verify or load is refused and the previous one keeps serving.
import type { ModelEvent } from '@mercato/contracts';
import { selectBackend, type TF } from '@mercato/ml';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import { productionVersionOf } from './model-events';
import { ModelLifecycleListener } from './model-lifecycle.listener';
import { ModelSlot, type Lease } from './model-slot';
import {
  ModelRefusedError,
  SentimentModelLoader,
  type RefusalReason,
  type ServingModel,
  type SwapTrigger,
} from './sentiment-model.loader';
import { sentimentMetrics } from './sentiment-metrics';

export interface SentimentModelStatus {
  name: string;
  backend: string | null;
  serving: { version: number; loadedAt: string; trigger: SwapTrigger } | null;
  lastRefused: { version: number; reason: RefusalReason; error: string; at: string } | null;
}

interface Target {
  version: number;
  trigger: SwapTrigger;
}

@Injectable()
export class SentimentModelService implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly slot = new ModelSlot<ServingModel>();
  private readonly name: string;
  private tf: TF | undefined;
  private backend: string | null = null;
  private desired: Target | undefined;
  private reconciling: Promise<void> | undefined;
  /** Bumped by every lifecycle event, so an alias read that raced with one does not undo it. */
  private eventsSeen = 0;
  private poller: NodeJS.Timeout | undefined;
  private closing = false;
  private lastRefused: SentimentModelStatus['lastRefused'] = null;

  constructor(
    private readonly loader: SentimentModelLoader,
    private readonly listener: ModelLifecycleListener,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.name = config.SENTIMENT_MODEL_NAME;
  }

  async onApplicationBootstrap(): Promise<void> {
    const selected = await selectBackend(this.config.TF_BACKEND);
    this.tf = selected.tf;
    this.backend = selected.name;
    sentimentMetrics.backend.set({ backend: selected.name }, 1);
    sentimentMetrics.modelVersion.set({ model: this.name }, 0);
    this.logger.info(
      { backend: selected.name, module: selected.module, fallbacks: selected.fallbacks },
      'tensorflow backend selected',
    );
    // Listening first: a promotion made while the start-up load runs is not missed.
    await this.listener.start((event) => this.onLifecycleEvent(event));
    await this.syncWithAlias('startup');
    this.poller = setInterval(() => void this.syncWithAlias('poll'), this.config.MODEL_POLL_INTERVAL_MS);
    this.poller.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.poller);
    await this.listener.stop();
  }

  /** After the consumer has drained and HTTP has closed: nothing holds a lease any more. */
  async onApplicationShutdown(): Promise<void> {
    await this.reconciling;
    this.slot.clear();
  }

  /** A lease on the serving model (release it when done), or undefined before the first one. */
  acquire(): Lease<ServingModel> | undefined {
    return this.slot.acquire();
  }

  whenInstalled(): Promise<void> {
    return this.slot.whenInstalled();
  }

  status(): SentimentModelStatus {
    const serving = this.slot.model;
    return {
      name: this.name,
      backend: this.backend,
      serving: serving
        ? { version: serving.version, loadedAt: serving.loadedAt.toISOString(), trigger: serving.trigger }
        : null,
      lastRefused: this.lastRefused,
    };
  }

  private onLifecycleEvent(event: ModelEvent): void {
    const version = productionVersionOf(event, this.name);
    if (version === undefined) return;
    this.eventsSeen++;
    this.logger.info(
      { model: this.name, version, previousVersion: event.previousVersion || null, eventId: event.eventId },
      'production alias moved',
    );
    void this.request({ version, trigger: 'event' });
  }

  /** Reads the alias and loads its version when it is not the one serving. Never throws. */
  private async syncWithAlias(trigger: 'startup' | 'poll'): Promise<void> {
    const eventsBefore = this.eventsSeen;
    let version: number | undefined;
    try {
      version = await this.loader.productionVersion(this.name);
    } catch (err) {
      this.logger.warn(
        { model: this.name, trigger, err: (err as Error).message },
        'could not read the production alias; will try again',
      );
      return;
    }
    if (version === undefined) {
      if (trigger === 'startup' || this.slot.model)
        this.logger.info(
          { model: this.name, serving: this.slot.model?.version ?? null },
          this.slot.model
            ? 'the production alias is not set; keeping the serving version'
            : 'no production sentiment model yet; news stays in Kafka until one is promoted',
        );
      return;
    }
    if (this.eventsSeen !== eventsBefore) return;
    if (version === this.slot.model?.version && !this.reconciling) return;
    // A version that loaded but could not serve will not get better; a new promotion event retries it.
    const refused = this.lastRefused;
    if (trigger === 'poll' && refused?.version === version && refused.reason === 'invalid_model') return;
    await this.request({ version, trigger });
  }

  private request(target: Target): Promise<void> {
    this.desired = target;
    this.reconciling ??= this.reconcile();
    return this.reconciling;
  }

  /** Loads the desired version until it is the serving one; one load at a time. */
  private async reconcile(): Promise<void> {
    // Settles asynchronously, so `reconciling` is assigned before the finally below clears it.
    await Promise.resolve();
    try {
      for (;;) {
        const target = this.desired;
        if (this.closing || !target || target.version === this.slot.model?.version) return;
        const loaded = await this.load(target);
        if (loaded && this.desired === target && !this.closing) this.install(loaded);
        else loaded?.dispose();
        // A failed version is tried again by the next alias poll, not in a loop here.
        if (this.desired === target) return;
      }
    } finally {
      this.desired = undefined;
      this.reconciling = undefined;
    }
  }

  private async load(target: Target): Promise<ServingModel | undefined> {
    const started = performance.now();
    try {
      const loaded = await this.loader.load(this.tf as TF, this.name, target.version, target.trigger);
      this.logger.info(
        { model: this.name, version: target.version, ms: Math.round(performance.now() - started) },
        'sentiment model loaded and warmed up',
      );
      return loaded;
    } catch (err) {
      const reason: RefusalReason = err instanceof ModelRefusedError ? err.reason : 'invalid_model';
      const message = (err as Error).message;
      this.lastRefused = { version: target.version, reason, error: message, at: new Date().toISOString() };
      sentimentMetrics.swapFailures.inc({ model: this.name, reason });
      this.logger.error(
        {
          model: this.name,
          version: target.version,
          trigger: target.trigger,
          reason,
          err: message,
          serving: this.slot.model?.version ?? null,
        },
        'refused a sentiment model version; the serving version stays',
      );
      return undefined;
    }
  }

  private install(next: ServingModel): void {
    const previous = this.slot.swap(next);
    sentimentMetrics.modelVersion.set({ model: this.name }, next.version);
    sentimentMetrics.swaps.inc({ model: this.name, trigger: next.trigger });
    this.logger.info(
      {
        model: this.name,
        version: next.version,
        previousVersion: previous?.version ?? null,
        trigger: next.trigger,
      },
      'sentiment model swapped in',
    );
  }
}
