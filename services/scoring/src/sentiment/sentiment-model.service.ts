// Keeps the sentiment models this replica serves loaded and current, and decides whose model scores
// whose text. Two models per owner: the fast one (SENTIMENT_MODEL_NAME, the distilled student) that
// scores the stream and POST /v1/sentiment by default, and the teacher (SENTIMENT_TEACHER_MODEL_NAME,
// the fine-tuned transformer) that POST /v1/sentiment uses when asked. The platform tenant's models
// (promotable only with a platform credential) serve every tenant that has no production version of
// its own; a tenant's own version serves only that tenant. Start-up loads the platform's versions;
// a tenant's alias is read the first time its text arrives. Promotions and rollbacks on
// models.lifecycle.v1 and a periodic re-read of every alias keep each track current (model-track.ts).
// At most SENTIMENT_TENANT_MODELS tenant models stay loaded; the least recently used is unloaded.
import { PLATFORM_TENANT } from '@mercato/auth';
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
import type { Lease } from './model-slot';
import { ModelTrack, type TrackStatus } from './model-track';
import { SentimentModelLoader, type ServingModel } from './sentiment-model.loader';
import { sentimentMetrics } from './sentiment-metrics';

/** `default`: the stream's fast model; `teacher`: the fine-tuned transformer, on request. */
export type SentimentRole = 'default' | 'teacher';

export interface SentimentModelStatus {
  backend: string | null;
  models: TrackStatus[];
}

/** Tenants' tracks kept even without a loaded model (their alias was read and is unset). */
const MAX_TRACKS = 10_000;

@Injectable()
export class SentimentModelService implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly tracks = new Map<string, ModelTrack>();
  private tf: TF | undefined;
  private backend: string | null = null;
  private poller: NodeJS.Timeout | undefined;
  private closing = false;
  /** Settles once the backend is chosen: work that arrives before that (a consumed batch) waits. */
  private readonly backendChosen: Promise<void>;
  private markBackendChosen!: () => void;

  constructor(
    private readonly loader: SentimentModelLoader,
    private readonly listener: ModelLifecycleListener,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.backendChosen = new Promise((resolve) => (this.markBackendChosen = resolve));
  }

  async onApplicationBootstrap(): Promise<void> {
    const selected = await selectBackend(this.config.TF_BACKEND);
    this.tf = selected.tf;
    this.backend = selected.name;
    this.markBackendChosen();
    sentimentMetrics.backend.set({ backend: selected.name }, 1);
    sentimentMetrics.modelVersion.set({ model: this.config.SENTIMENT_MODEL_NAME }, 0);
    this.logger.info(
      { backend: selected.name, module: selected.module, fallbacks: selected.fallbacks },
      'tensorflow backend selected',
    );
    // Listening first: a promotion made while the start-up load runs is not missed.
    await this.listener.start((event) => this.onLifecycleEvent(event));
    await Promise.all(this.roles().map((role) => this.track(PLATFORM_TENANT, this.nameOf(role)).settled()));
    this.poller = setInterval(() => void this.pollAll(), this.config.MODEL_POLL_INTERVAL_MS);
    this.poller.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    clearInterval(this.poller);
    await this.listener.stop();
  }

  /** After the consumer has drained and HTTP has closed: nothing holds a lease any more. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.tracks.values()].map((t) => t.close()));
    this.tracks.clear();
  }

  private roles(): SentimentRole[] {
    return this.config.SENTIMENT_TEACHER_MODEL_NAME ? ['default', 'teacher'] : ['default'];
  }

  private nameOf(role: SentimentRole): string {
    if (role === 'default') return this.config.SENTIMENT_MODEL_NAME;
    const name = this.config.SENTIMENT_TEACHER_MODEL_NAME;
    if (!name) throw new Error('no teacher model is configured (SENTIMENT_TEACHER_MODEL_NAME)');
    return name;
  }

  private track(owner: string, name: string): ModelTrack {
    const key = `${owner}\u0000${name}`;
    let track = this.tracks.get(key);
    if (!track) {
      track = new ModelTrack(owner, name, this.tf as TF, this.loader, this.logger);
      this.tracks.set(key, track);
    }
    return track;
  }

  /**
   * The track that scores the tenant's texts in a role: the tenant's own production version when it
   * has one that loaded, else the platform's. The first call for a tenant reads its alias (and loads
   * its version) before answering.
   */
  async choose(tenantId: string, role: SentimentRole): Promise<ModelTrack> {
    await this.backendChosen;
    const name = this.nameOf(role);
    const platform = this.track(PLATFORM_TENANT, name);
    if (tenantId === PLATFORM_TENANT || this.closing) return platform;
    const own = this.track(tenantId, name);
    await own.settled();
    this.evictIdle();
    return own.serving ? own : platform;
  }

  /** A lease on the model that scores the tenant's texts, or undefined when neither it nor the platform has one. */
  async acquireFor(
    tenantId: string,
    role: SentimentRole = 'default',
  ): Promise<Lease<ServingModel> | undefined> {
    return (await this.choose(tenantId, role)).acquire();
  }

  /** Resolves when the tenant's texts have a model in this role (its own or the platform's). */
  async whenInstalled(tenantId: string, role: SentimentRole = 'default'): Promise<void> {
    await this.backendChosen;
    const name = this.nameOf(role);
    const waits = [this.track(PLATFORM_TENANT, name).whenInstalled()];
    if (tenantId !== PLATFORM_TENANT) waits.push(this.track(tenantId, name).whenInstalled());
    await Promise.race(waits);
  }

  /**
   * What scores the tenant's texts: its own versions are looked up first (as its first text would),
   * so a tenant that just promoted a model sees it here before any of its news arrives.
   */
  async statusFor(tenantId: string): Promise<SentimentModelStatus> {
    await Promise.all(this.roles().map((role) => this.choose(tenantId, role)));
    return this.status(tenantId);
  }

  /** The platform's tracks and, for a tenant, its own (those already tracked). */
  status(tenantId?: string): SentimentModelStatus {
    return {
      backend: this.backend,
      models: [...this.tracks.values()]
        .filter((t) => t.owner === PLATFORM_TENANT || t.owner === tenantId)
        .filter((t) => t.owner === PLATFORM_TENANT || t.known !== false)
        .map((t) => t.status()),
    };
  }

  private onLifecycleEvent(event: ModelEvent): void {
    const owner = event.tenantId || PLATFORM_TENANT;
    for (const role of this.roles()) {
      const name = this.nameOf(role);
      const version = productionVersionOf(event, name);
      if (version === undefined) continue;
      // Tenants are tracked from their first text on; until then their alias is read on first use.
      const track =
        owner === PLATFORM_TENANT ? this.track(owner, name) : this.tracks.get(`${owner}\u0000${name}`);
      if (!track) continue;
      this.logger.info(
        {
          owner,
          model: name,
          version,
          previousVersion: event.previousVersion || null,
          eventId: event.eventId,
        },
        'production alias moved',
      );
      track.onPromoted(version);
    }
  }

  private async pollAll(): Promise<void> {
    await Promise.all([...this.tracks.values()].map((t) => t.syncWithAlias('poll')));
  }

  /** Unloads the least recently used tenant models beyond the configured number, and forgets idle tenants. */
  private evictIdle(): void {
    const tenantTracks = [...this.tracks.entries()].filter(([, t]) => t.owner !== PLATFORM_TENANT);
    const loaded = tenantTracks.filter(([, t]) => t.serving).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    const evict = [
      ...loaded.slice(0, Math.max(0, loaded.length - this.config.SENTIMENT_TENANT_MODELS)),
      ...tenantTracks
        .filter(([, t]) => !t.serving)
        .sort(([, a], [, b]) => a.lastUsed - b.lastUsed)
        .slice(0, Math.max(0, tenantTracks.length - MAX_TRACKS)),
    ];
    for (const [key, track] of evict) {
      this.tracks.delete(key);
      this.logger.info(
        { owner: track.owner, model: track.name },
        'unloading a tenant model that was used least recently',
      );
      void track.close();
    }
  }
}
