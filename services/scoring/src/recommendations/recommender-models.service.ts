// Keeps each tenant's recommender versions loaded: `recommender-<tenant>` at the production alias,
// and at staging and shadow when they are set (the traffic split). A promotion on models.lifecycle.v1
// or the periodic alias read loads the new version, warms it and swaps it in atomically; requests
// already running finish on the version they started with. A version that fails to load is refused
// and the serving one stays. A new production version is on probation, with the version it replaced
// kept loaded: when its request error rate goes above RECS_ROLLBACK_ERROR_RATE within
// RECS_ROLLBACK_WINDOW_MS, or its online hit rate (outcomes.ts) falls below its predecessor's by more
// than RECS_ROLLBACK_HIT_RATE_MARGIN over RECS_ROLLBACK_MIN_ANSWERS answers within
// RECS_ROLLBACK_ONLINE_WINDOW_MS, it is swapped back out for the version it replaced, and that is
// logged and counted. Either way (refused as unusable, or rolled back) the registry's production
// alias is pointed back at the serving version, conditionally (once however many replicas see it,
// never over a newer promotion), so restarts do not load it again; a rollback on hit rate carries its
// figures, which the registry records as the decision. A shadow version (a retrained challenger) is
// judged once RECS_SHADOW_MIN_ANSWERS mirrored answers are resolved: the hit rate its lists would
// have had against production's on the same requests goes to the registry, which promotes it to
// production or rejects it and records why; a judged shadow stops being mirrored.
import { ModelEventType, type ModelEvent, MODEL_ALIASES, type ModelAlias } from '@mercato/contracts';
import { selectBackend, type RecommenderItem, type TF } from '@mercato/ml';
import type { OnlineEvidence } from '@mercato/registry-client';
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
import { ModelSlot, type Lease } from '../sentiment/model-slot';
import {
  RecommenderLoader,
  RecommenderRefusedError,
  type LoadTrigger,
  type RefusalReason as LoaderRefusal,
  type ServingRecommender,
  type ServingRetrieval,
} from './recommender.loader';
import { OutcomeTracker, rate, type OutcomeCounts } from './outcomes';
import { recsMetrics } from './recs-metrics';
import { RecsState } from './recs-state';
import { servingIndex } from './serving-index';
import { TenantShards } from './tenant-shards';

/** Every alias of the registry contract is served: production answers, staging takes the A/B share, shadow mirrors. */
export const RECS_ALIASES = MODEL_ALIASES;
export type RecsAlias = ModelAlias;

export const recommenderName = (tenantId: string): string => `recommender-${tenantId}`;

type RefusalReason = LoaderRefusal | 'request_errors' | 'online_hit_rate';

/** The metric online decisions are made on, as the registry records it. */
export const ONLINE_METRIC = 'online_hit_rate';

export interface AliasStatus {
  version: number | null;
  loadedAt: string | null;
  trigger: LoadTrigger | null;
  /** How the version serves top-K (exhaustive scan or index), its memory and its warm-up recall. */
  retrieval: ServingRetrieval | null;
  lastRefused: { version: number; reason: RefusalReason; error: string; at: string } | null;
  rollbacks: number;
}

interface Probation {
  version: number;
  previous: ServingRecommender;
  /** Request errors are counted until then... */
  errorsUntil: number;
  /** ...and the online hit rate compared until then (the previous version stays loaded). */
  onlineUntil: number;
  requests: number;
  errors: number;
  /** The predecessor's resolved answers as production in this replica, when it was replaced. */
  predecessor: OutcomeCounts;
}

/** One alias of one tenant: its slot, the version wanted, and the probation of a fresh swap. */
class AliasState {
  readonly slot = new ModelSlot<ServingRecommender>();
  desired: { version: number; trigger: LoadTrigger } | undefined;
  reconciling: Promise<void> | undefined;
  lastRefused: AliasStatus['lastRefused'] = null;
  probation: Probation | undefined;
  rollbacks = 0;
  eventsSeen = 0;
  /** Shadow: the version already judged online (not mirrored or loaded again). */
  judged: number | undefined;
}

@Injectable()
export class RecommenderModelsService
  implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown
{
  private readonly tenants = new Map<string, Map<RecsAlias, AliasState>>();
  private tf: TF | undefined;
  private closing = false;
  private startupDone = false;

  constructor(
    private readonly loader: RecommenderLoader,
    private readonly state: RecsState,
    private readonly shards: TenantShards,
    private readonly outcomes: OutcomeTracker,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    // A sharded replica loads its own tenants' versions only; the others' are another shard's memory.
    for (const tenant of new Set([config.TENANT_ID, ...config.RECS_TENANTS]))
      if (shards.owns(tenant)) this.aliasesOf(tenant);
    // New catalog items get their text-only vectors in every loaded version of the tenant.
    state.onCatalogItems((tenantId, items) => {
      const aliases = this.tenants.get(tenantId);
      if (!aliases) return;
      for (const [name, alias] of aliases) {
        const serving = alias.slot.model;
        // A grown catalog may have rebuilt or re-laid out the index: the memory gauges follow.
        if (serving && serving.model.addItems(items) > 0) servingGauges(tenantId, name, serving);
        alias.probation?.previous.model.addItems(items);
      }
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.tf = (await selectBackend(this.config.TF_BACKEND)).tf;
    // The versions load once the state topics are read to their end (RecsStreamListener, which Nest
    // may start after this service): the whole catalog is in by then, so each index is built once.
    void this.state
      .whenLoaded()
      .then(() => this.syncAll('startup'))
      .catch((err: unknown) =>
        this.logger.error({ err: (err as Error).message }, 'loading the recommenders at start-up failed'),
      )
      .finally(() => {
        this.startupDone = true;
      });
  }

  /** Whether the start-up load of every alias has finished (loaded or refused): readiness waits for it. */
  get started(): boolean {
    return this.startupDone;
  }

  onModuleDestroy(): void {
    this.closing = true;
  }

  /** Brings every tenant's aliases in line with the registry (RecommenderAliasPoller polls this). */
  async syncAll(reason: 'startup' | 'poll'): Promise<void> {
    await Promise.all(this.tenantIds().map((tenant) => this.syncTenant(tenant, reason)));
  }

  async onApplicationShutdown(): Promise<void> {
    for (const aliases of this.tenants.values())
      for (const alias of aliases.values()) {
        await alias.reconciling;
        alias.slot.clear();
      }
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  /**
   * A lease on the tenant's version at the alias, or undefined when none is loaded. The first
   * request of a tenant not loaded yet starts its load in the background and is answered without it.
   */
  acquire(tenantId: string, alias: RecsAlias): Lease<ServingRecommender> | undefined {
    const known = this.tenants.get(tenantId);
    if (!known) {
      if (!this.shards.owns(tenantId)) return undefined;
      this.aliasesOf(tenantId);
      void this.syncTenant(tenantId, 'startup');
      return undefined;
    }
    return known.get(alias)?.slot.acquire();
  }

  /** Whether the alias has a loaded version (the split only routes to loaded variants). */
  has(tenantId: string, alias: RecsAlias): boolean {
    return this.tenants.get(tenantId)?.get(alias)?.slot.model !== undefined;
  }

  /** The outcome of one production request; a version on probation is rolled back past the threshold. */
  recordOutcome(tenantId: string, served: ServingRecommender, failed: boolean): void {
    const alias = this.tenants.get(tenantId)?.get('production');
    const probation = alias?.probation;
    if (!alias || !probation || probation.version !== served.version) return;
    if (Date.now() > probation.errorsUntil) return;
    probation.requests++;
    if (failed) probation.errors++;
    const { requests, errors } = probation;
    if (
      requests >= this.config.RECS_ROLLBACK_MIN_REQUESTS &&
      errors / requests > this.config.RECS_ROLLBACK_ERROR_RATE
    )
      this.rollBack(tenantId, alias, probation, 'request_errors', `${errors} of ${requests} requests failed`);
  }

  /**
   * The online decisions, on the outcomes resolved so far (RecsMonitoringPoller calls this after
   * each resolution): shadow versions with enough mirrored answers are sent to the registry to be
   * promoted or rejected, and production versions on probation are kept or rolled back.
   */
  async judgeOnline(): Promise<void> {
    for (const [tenantId, aliases] of this.tenants) {
      this.judgeProbation(tenantId, aliases.get('production') as AliasState);
      await this.judgeShadow(
        tenantId,
        aliases.get('shadow') as AliasState,
        aliases.get('production') as AliasState,
      );
    }
  }

  private judgeProbation(tenantId: string, state: AliasState): void {
    const probation = state.probation;
    if (!probation) return;
    const now = Date.now();
    const current = this.outcomes.total(tenantId, 'production', probation.version);
    const { predecessor } = probation;
    const min = this.config.RECS_ROLLBACK_MIN_ANSWERS;
    const release = (decision: 'kept' | 'unjudged', why: string): void => {
      state.probation = undefined;
      recsMetrics.onlineDecisions.inc({ decision });
      this.logger.info(
        {
          model: recommenderName(tenantId),
          version: probation.version,
          previousVersion: probation.previous.version,
          why,
        },
        decision === 'kept' ? 'recommender kept after its online comparison' : 'recommender probation ended',
      );
    };
    if (now > probation.onlineUntil)
      return release('unjudged', `fewer than ${min} answers within RECS_ROLLBACK_ONLINE_WINDOW_MS`);
    if (predecessor.answers < min) {
      // Nothing to compare with (the predecessor served too little here): only the error check applies.
      if (now > probation.errorsUntil)
        release(
          'unjudged',
          `v${probation.previous.version} had ${predecessor.answers} answers here, fewer than ${min}`,
        );
      return;
    }
    if (current.answers < min) return;
    const [was, is] = [rate(predecessor), rate(current)];
    const margin = this.config.RECS_ROLLBACK_HIT_RATE_MARGIN;
    if (was - is <= margin)
      return release(
        'kept',
        `hit rate ${fmt(is)} vs v${probation.previous.version}'s ${fmt(was)}, margin ${margin}`,
      );
    this.rollBack(
      tenantId,
      state,
      probation,
      'online_hit_rate',
      `hit rate ${fmt(is)} over ${current.answers} answers, below v${probation.previous.version}'s ${fmt(was)} over ${predecessor.answers} by more than ${margin}`,
      {
        metric: ONLINE_METRIC,
        challengerValue: was,
        championValue: is,
        sample: Math.min(current.answers, predecessor.answers),
        minSample: min,
        margin,
      },
    );
  }

  private async judgeShadow(tenantId: string, state: AliasState, production: AliasState): Promise<void> {
    const shadow = state.slot.model;
    const serving = production.slot.model;
    if (!shadow || !serving || state.reconciling) return;
    const name = recommenderName(tenantId);
    const stop = (why: string): void => this.stopShadow(tenantId, state, shadow.version, why);
    if (shadow.version === serving.version) return stop('it serves production');
    const min = this.config.RECS_SHADOW_MIN_ANSWERS;
    const mirrored = this.outcomes.total(tenantId, 'shadow', shadow.version);
    const baseline = this.outcomes.total(tenantId, 'shadow_baseline', shadow.version);
    const sample = Math.min(mirrored.answers, baseline.answers);
    if (sample < min) return;
    if (await this.loader.decidedOnline(tenantId, name, shadow.version).catch(() => false))
      return stop('the registry already holds its online decision');
    const answer = await this.loader.moveProduction(tenantId, name, {
      from: serving.version,
      to: shadow.version,
      reason: `shadow v${shadow.version} compared online with production v${serving.version}`,
      online: {
        metric: ONLINE_METRIC,
        challengerValue: rate(mirrored),
        championValue: rate(baseline),
        sample,
        minSample: min,
        margin: -this.config.RECS_SHADOW_MARGIN,
      },
    });
    const figures = {
      model: name,
      version: shadow.version,
      production: serving.version,
      outcome: answer.outcome,
      reason: answer.reason,
    };
    if (answer.outcome === 'refused') {
      // The registry was unreachable, or production moved meanwhile: the next pass looks again.
      this.logger.warn(figures, 'could not record the online judgement of a shadow version');
      return;
    }
    if (answer.outcome === 'promoted' || answer.outcome === 'rejected')
      recsMetrics.onlineDecisions.inc({ decision: answer.outcome });
    this.logger.info(figures, 'shadow version judged online');
    // Promoted: the PROMOTED event swaps production in; rejected: production stays.
    stop(`judged: ${answer.outcome}`);
  }

  /** A judged shadow version is unloaded and not mirrored or loaded again (a new one is). */
  private stopShadow(tenantId: string, state: AliasState, version: number, why: string): void {
    if (state.slot.model?.version !== version) return;
    state.judged = version;
    state.slot.clear();
    this.logger.info({ model: recommenderName(tenantId), version, why }, 'shadow version no longer mirrored');
  }

  /**
   * A shadow version the registry already judged online (before a restart, or on another replica) is
   * stopped as soon as it loads, rather than mirrored until it has a sample again.
   */
  private async skipJudgedShadow(tenantId: string, state: AliasState, version: number): Promise<void> {
    const decided = await this.loader
      .decidedOnline(tenantId, recommenderName(tenantId), version)
      .catch(() => false);
    if (decided) this.stopShadow(tenantId, state, version, 'the registry already holds its online decision');
  }

  /** What this replica serves for the tenant (a tenant not seen yet is reported empty, not loaded). */
  status(tenantId: string): Record<RecsAlias, AliasStatus> {
    const aliases = this.tenants.get(tenantId) ?? new Map(RECS_ALIASES.map((a) => [a, new AliasState()]));
    const view = (a: AliasState): AliasStatus => {
      const serving = a.slot.model;
      return {
        version: serving?.version ?? null,
        loadedAt: serving?.loadedAt.toISOString() ?? null,
        trigger: serving?.trigger ?? null,
        retrieval: serving ? { ...serving.retrieval, ...serving.model.retrieval() } : null,
        lastRefused: a.lastRefused,
        rollbacks: a.rollbacks,
      };
    };
    return {
      production: view(aliases.get('production') as AliasState),
      staging: view(aliases.get('staging') as AliasState),
      shadow: view(aliases.get('shadow') as AliasState),
    };
  }

  /** A promotion (rollbacks are PROMOTED events too) of a known tenant's recommender. */
  onLifecycleEvent(event: ModelEvent): void {
    if (event.type !== ModelEventType.PROMOTED) return;
    const alias = RECS_ALIASES.find((a) => a === event.alias);
    if (!alias) return;
    const tenantId = this.tenantIds().find((t) => recommenderName(t) === event.modelName);
    if (tenantId === undefined) return;
    const version = Number(event.version);
    if (!Number.isInteger(version) || version <= 0) return;
    const state = this.aliasesOf(tenantId).get(alias) as AliasState;
    state.eventsSeen++;
    this.logger.info(
      { model: event.modelName, alias, version, previousVersion: event.previousVersion || null },
      'recommender alias moved',
    );
    void this.request(tenantId, alias, state, { version, trigger: 'event' });
  }

  private aliasesOf(tenantId: string): Map<RecsAlias, AliasState> {
    let aliases = this.tenants.get(tenantId);
    if (!aliases) {
      aliases = new Map(RECS_ALIASES.map((a) => [a, new AliasState()]));
      this.tenants.set(tenantId, aliases);
    }
    return aliases;
  }

  private async syncTenant(tenantId: string, trigger: 'startup' | 'poll'): Promise<void> {
    if (!this.tf) return;
    const aliases = this.aliasesOf(tenantId);
    await Promise.all(
      RECS_ALIASES.map((alias) => this.syncAlias(tenantId, alias, aliases.get(alias) as AliasState, trigger)),
    );
  }

  /** Reads the alias and loads its version when it is not the one serving. Never throws. */
  private async syncAlias(
    tenantId: string,
    alias: RecsAlias,
    state: AliasState,
    trigger: 'startup' | 'poll',
  ): Promise<void> {
    const name = recommenderName(tenantId);
    const eventsBefore = state.eventsSeen;
    let version: number | undefined;
    try {
      version = await this.loader.aliasVersion(tenantId, name, alias);
    } catch (err) {
      this.logger.warn(
        { model: name, alias, err: (err as Error).message },
        'could not read a recommender alias',
      );
      return;
    }
    if (state.eventsSeen !== eventsBefore || this.closing) return;
    if (alias === 'shadow' && version !== undefined && version === state.judged) return;
    if (version === undefined) {
      // A staging or shadow alias that was removed ends its experiment; production keeps serving.
      if (alias !== 'production' && state.slot.model) {
        this.logger.info({ model: name, alias }, 'recommender alias removed: variant stopped');
        state.slot.clear();
      }
      return;
    }
    if (version === state.slot.model?.version && !state.reconciling) return;
    // A version refused for what it is (or rolled back) is retried only by a new promotion event.
    const refused = state.lastRefused;
    if (trigger === 'poll' && refused?.version === version && refused.reason !== 'registry') return;
    await this.request(tenantId, alias, state, { version, trigger });
  }

  private request(
    tenantId: string,
    alias: RecsAlias,
    state: AliasState,
    target: { version: number; trigger: LoadTrigger },
  ): Promise<void> {
    // The same version asked for again while it loads (an alias poll during a long load) keeps that
    // load: replacing the target would throw the loaded version away and load it once more.
    if (state.desired?.version !== target.version) state.desired = target;
    state.reconciling ??= this.reconcile(tenantId, alias, state);
    return state.reconciling;
  }

  /** Loads the desired version until it is the serving one; one load at a time per alias. */
  private async reconcile(tenantId: string, alias: RecsAlias, state: AliasState): Promise<void> {
    await Promise.resolve();
    try {
      for (;;) {
        const target = state.desired;
        if (this.closing || !target || target.version === state.slot.model?.version) return;
        const loaded = await this.load(tenantId, alias, state, target);
        if (loaded && state.desired === target && !this.closing) this.install(tenantId, alias, state, loaded);
        if (state.desired === target) return;
      }
    } finally {
      state.desired = undefined;
      state.reconciling = undefined;
    }
  }

  private async load(
    tenantId: string,
    alias: RecsAlias,
    state: AliasState,
    target: { version: number; trigger: LoadTrigger },
  ): Promise<ServingRecommender | undefined> {
    const name = recommenderName(tenantId);
    const started = performance.now();
    try {
      // The whole catalog at once: one index build, not a layout per batch of the catalog topic.
      await this.state.whenLoaded();
      const catalog = (): RecommenderItem[] =>
        [...(this.state.peek(tenantId)?.catalog.values() ?? [])].map((c) => c.features);
      const histories = (): string[][] =>
        [...(this.state.peek(tenantId)?.users.values() ?? [])].map((u) => u.recent);
      const loaded = await this.loader.load(
        this.tf as TF,
        tenantId,
        name,
        target.version,
        target.trigger,
        catalog,
        histories,
      );
      // The catalog rules over the new rows, built now rather than by the first request after the swap.
      servingIndex(loaded.model, this.state.tenant(tenantId));
      const ms = Math.round(performance.now() - started);
      recsMetrics.loadSeconds.observe({ alias }, ms / 1000);
      const { retrieval } = loaded;
      recsMetrics.indexBuildSeconds.observe({ alias, kind: retrieval.kind }, retrieval.buildMs / 1000);
      this.logger.info(
        {
          model: name,
          alias,
          version: target.version,
          items: loaded.model.itemIds.length,
          ms,
          retrieval: retrieval.kind,
          indexMs: Math.round(retrieval.buildMs),
          lists: retrieval.lists,
          probe: retrieval.probe,
          probeChosen: retrieval.probeChoice?.how,
          probeRecall: retrieval.probeChoice?.recall,
          recall: retrieval.recall,
          matrixMb: Math.round(retrieval.matrixBytes / 2 ** 20),
          indexMb: Math.round(retrieval.indexBytes / 2 ** 20),
        },
        'recommender loaded and warmed up',
      );
      return loaded;
    } catch (err) {
      const reason = err instanceof RecommenderRefusedError ? err.reason : 'invalid_model';
      const message = (err as Error).message;
      state.lastRefused = { version: target.version, reason, error: message, at: new Date().toISOString() };
      recsMetrics.swapFailures.inc({ alias, reason });
      this.logger.error(
        {
          model: name,
          alias,
          version: target.version,
          reason,
          err: message,
          serving: state.slot.model?.version ?? null,
        },
        'refused a recommender version; the serving version stays',
      );
      // A version that cannot be served anywhere is taken off production (a download failure may pass).
      const serving = state.slot.model;
      if (alias === 'production' && reason === 'invalid_model' && serving)
        this.restoreProduction(tenantId, {
          from: target.version,
          to: serving.version,
          reason: `scoring refused it: ${message}`,
        });
      return undefined;
    }
  }

  private install(tenantId: string, alias: RecsAlias, state: AliasState, next: ServingRecommender): void {
    const previous = state.slot.swap(next);
    const now = Date.now();
    state.probation =
      alias === 'production' && previous
        ? {
            version: next.version,
            previous,
            errorsUntil: now + this.config.RECS_ROLLBACK_WINDOW_MS,
            onlineUntil: now + this.config.RECS_ROLLBACK_ONLINE_WINDOW_MS,
            requests: 0,
            errors: 0,
            predecessor: this.outcomes.total(tenantId, 'production', previous.version),
          }
        : undefined;
    if (alias === 'shadow') void this.skipJudgedShadow(tenantId, state, next.version);
    servingGauges(tenantId, alias, next);
    recsMetrics.swaps.inc({ alias, trigger: next.trigger });
    this.logger.info(
      {
        model: next.name,
        alias,
        version: next.version,
        previousVersion: previous?.version ?? null,
        trigger: next.trigger,
      },
      'recommender swapped in',
    );
  }

  private rollBack(
    tenantId: string,
    state: AliasState,
    probation: Probation,
    reason: 'request_errors' | 'online_hit_rate',
    why: string,
    online?: OnlineEvidence,
  ): void {
    state.probation = undefined;
    const broken = state.slot.swap(probation.previous);
    state.rollbacks++;
    state.lastRefused = { version: probation.version, reason, error: why, at: new Date().toISOString() };
    recsMetrics.rollbacks.inc({ alias: 'production', reason });
    if (online) recsMetrics.onlineDecisions.inc({ decision: 'rolled_back' });
    servingGauges(tenantId, 'production', probation.previous);
    this.logger.error(
      {
        model: recommenderName(tenantId),
        version: broken?.version ?? probation.version,
        restoredVersion: probation.previous.version,
        why,
      },
      reason === 'request_errors'
        ? 'recommender rolled back: the new version failed requests'
        : 'recommender rolled back: the new version does worse online',
    );
    this.restoreProduction(tenantId, {
      from: probation.version,
      to: probation.previous.version,
      reason: `scoring: ${why}`,
      online,
    });
  }

  /** Moves the registry's production alias back from a failed version; logs the outcome, never throws. */
  private restoreProduction(
    tenantId: string,
    move: { from: number; to: number; reason: string; online?: OnlineEvidence },
  ): void {
    const name = recommenderName(tenantId);
    const { from, to } = move;
    void this.loader.moveProduction(tenantId, name, move).then((answer) => {
      if (answer.outcome === 'promoted')
        this.logger.warn({ model: name, from, to }, 'production alias moved back in the registry');
      else
        // already_moved: another replica (or a person) moved it first, which is the point.
        this.logger.warn(
          { model: name, from, to, outcome: answer.outcome, reason: answer.reason },
          'the registry did not move the production alias back',
        );
    });
  }
}

const fmt = (n: number): string => Number(n.toFixed(4)).toString();

/** The gauges of what an alias serves: version, the index's warm-up recall, the memory of its items and index. */
function servingGauges(tenant: string, alias: RecsAlias, serving: ServingRecommender): void {
  recsMetrics.modelVersion.set({ tenant, alias }, serving.version);
  recsMetrics.indexRecall.set({ tenant, alias }, serving.retrieval.recall);
  recsMetrics.indexProbe.set({ tenant, alias }, serving.retrieval.probe ?? 0);
  recsMetrics.indexProbeRecall.set({ tenant, alias }, serving.retrieval.probeChoice?.recall ?? 1);
  const { matrixBytes, indexBytes } = serving.model.retrieval();
  recsMetrics.modelBytes.set({ tenant, alias, part: 'items' }, matrixBytes);
  recsMetrics.modelBytes.set({ tenant, alias, part: 'index' }, indexBytes);
}
