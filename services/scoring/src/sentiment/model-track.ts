// One sentiment model as one owner has it in the registry (the platform's `sentiment`, or a tenant's
// own fine-tuned one): the version its production alias points to, loaded, warmed up and swapped in
// for all work that starts afterwards. Loads run one at a time; a version that fails to download,
// verify or load is refused and the previous one keeps serving. The SentimentModelService holds one
// track per (owner, model) it serves and decides which track scores whose news.
import { PLATFORM_TENANT } from '@mercato/auth';
import type { TF } from '@mercato/ml';
import type { Logger } from '@mercato/telemetry';
import { ModelSlot, type Lease } from './model-slot';
import {
  ModelRefusedError,
  type RefusalReason,
  type SentimentModelLoader,
  type ServingModel,
  type SwapTrigger,
} from './sentiment-model.loader';
import { sentimentMetrics } from './sentiment-metrics';

export interface TrackStatus {
  owner: string;
  name: string;
  serving: { version: number; loadedAt: string; trigger: SwapTrigger; architecture: string } | null;
  lastRefused: { version: number; reason: RefusalReason; error: string; at: string } | null;
}

interface Target {
  version: number;
  trigger: SwapTrigger;
}

export class ModelTrack {
  private readonly slot = new ModelSlot<ServingModel>();
  private desired: Target | undefined;
  private reconciling: Promise<void> | undefined;
  /** Bumped by every lifecycle event, so an alias read that raced with one does not undo it. */
  private eventsSeen = 0;
  private closing = false;
  private lastRefused: TrackStatus['lastRefused'] = null;
  /** undefined until the alias was read once; false while the owner has no production version. */
  private exists: boolean | undefined;
  private firstRead: Promise<void> | undefined;
  lastUsed = Date.now();

  constructor(
    readonly owner: string,
    readonly name: string,
    private readonly tf: TF,
    private readonly loader: SentimentModelLoader,
    private readonly logger: Logger,
  ) {}

  /** The metric label of this track: the model name, prefixed by a tenant owner. */
  get label(): string {
    return this.owner === PLATFORM_TENANT ? this.name : `${this.owner}/${this.name}`;
  }

  /** True when the alias was read and names a version; false when read and unset; undefined before. */
  get known(): boolean | undefined {
    return this.exists;
  }

  /** A lease on the serving model (release it when done), or undefined before the first one. */
  acquire(): Lease<ServingModel> | undefined {
    this.lastUsed = Date.now();
    return this.slot.acquire();
  }

  get serving(): ServingModel | undefined {
    return this.slot.model;
  }

  whenInstalled(): Promise<void> {
    return this.slot.whenInstalled();
  }

  /** Resolves once the alias has been read once and its version (if any) loaded or refused. */
  settled(): Promise<void> {
    this.firstRead ??= this.syncWithAlias('startup');
    return this.firstRead.then(() => this.reconciling);
  }

  status(): TrackStatus {
    const serving = this.slot.model;
    return {
      owner: this.owner,
      name: this.name,
      serving: serving
        ? {
            version: serving.version,
            loadedAt: serving.loadedAt.toISOString(),
            trigger: serving.trigger,
            architecture: serving.model.architecture,
          }
        : null,
      lastRefused: this.lastRefused,
    };
  }

  /** The production alias moved to `version` (a lifecycle event). */
  onPromoted(version: number): void {
    this.eventsSeen++;
    this.exists = true;
    void this.request({ version, trigger: 'event' });
  }

  /** Reads the alias and loads its version when it is not the one serving. Never throws. */
  async syncWithAlias(trigger: 'startup' | 'poll'): Promise<void> {
    const eventsBefore = this.eventsSeen;
    let version: number | undefined;
    try {
      version = await this.loader.productionVersion(this.owner, this.name);
    } catch (err) {
      this.logger.warn(
        { owner: this.owner, model: this.name, trigger, err: (err as Error).message },
        'could not read the production alias; will try again',
      );
      return;
    }
    if (this.eventsSeen !== eventsBefore) return;
    if (version === undefined) {
      if (this.exists !== false)
        this.logger.info(
          { owner: this.owner, model: this.name, serving: this.slot.model?.version ?? null },
          this.slot.model
            ? 'the production alias is not set; keeping the serving version'
            : `no production ${this.name} model for ${this.owner}`,
        );
      this.exists = this.slot.model !== undefined;
      return;
    }
    this.exists = true;
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
      const loaded = await this.loader.load(this.tf, this.owner, this.name, target.version, target.trigger);
      this.logger.info(
        {
          owner: this.owner,
          model: this.name,
          version: target.version,
          architecture: loaded.model.architecture,
          ms: Math.round(performance.now() - started),
        },
        'sentiment model loaded and warmed up',
      );
      return loaded;
    } catch (err) {
      const reason: RefusalReason = err instanceof ModelRefusedError ? err.reason : 'invalid_model';
      const message = (err as Error).message;
      this.lastRefused = { version: target.version, reason, error: message, at: new Date().toISOString() };
      sentimentMetrics.swapFailures.inc({ model: this.label, reason });
      this.logger.error(
        {
          owner: this.owner,
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
    sentimentMetrics.modelVersion.set({ model: this.label }, next.version);
    sentimentMetrics.swaps.inc({ model: this.label, trigger: next.trigger });
    this.logger.info(
      {
        owner: this.owner,
        model: this.name,
        version: next.version,
        previousVersion: previous?.version ?? null,
        trigger: next.trigger,
      },
      'sentiment model swapped in',
    );
  }

  /** Stops loading (shutdown or eviction); waits for a load in flight, then retires the model. */
  async close(): Promise<void> {
    this.closing = true;
    await this.reconciling;
    this.slot.clear();
    sentimentMetrics.modelVersion.remove({ model: this.label });
  }
}
