// Answers one recommendation request for HTTP and gRPC alike: the caller's raw user id becomes the
// tenant's pseudonym (the only id the state and the models know), the split picks the variant
// (staging for the sticky A/B share when a staging version is loaded, else production), ranking
// runs in memory on a lease of that version, and the request is mirrored to the shadow version
// after the answer is ready. Repeated requests whose inputs have not changed are answered from a
// bounded cache (answer-cache.ts); users with no features that the model does not know either all
// get the same cold-start answer, so they share one entry. Known users' pseudonyms are kept in a
// bounded LRU: the HMAC was one of the largest costs of a cached answer. Everything is counted per
// variant, and every answer (and a mirrored request's pair of lists) goes to the outcome tracker,
// which later learns from the interactions stream whether the user engaged with it.
import { Pseudonymizer, resolvePseudonymizationKey } from '@mercato/privacy';
import { DomainError, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { ScoringConfig } from '../scoring.config';
import { AnswerCache, type Answer } from './answer-cache';
import { OutcomeTracker } from './outcomes';
import { rank, type RankRequest, type RankedItem } from './ranking';
import type { RecommendationsQuery, RecommendationsView } from './recommendations.dto';
import { RecommenderModelsService, recommenderName } from './recommender-models.service';
import type { ServingRecommender } from './recommender.loader';
import { recsMetrics } from './recs-metrics';
import { RecsState, normalizeCategory } from './recs-state';
import { inStagingShare, mirrorToShadow, overlap } from './traffic-split';

export type Transport = 'http' | 'grpc';

/** (tenant, user id) → pseudonym entries kept: about 12 MB at most, and no HMAC for active users. */
const PSEUDONYM_CACHE_SIZE = 50_000;

/** Ranking threw or gave a score that is not a number: a 500 that says no more than that. */
export class RankingFailedError extends DomainError {
  constructor(
    /** What went wrong, for the log (the answer says only "ranking failed"). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'failed',
      'ranking_failed',
      [{ field: '(request)', reason: 'ranking failed' }],
      {},
      'ranking failed',
    );
    this.name = 'RankingFailedError';
    if (options) this.cause = options.cause;
  }
}

/**
 * The replica is still reading the state topics after a start, or loading the recommender versions
 * over them: asked again shortly, it answers.
 */
export class StateLoadingError extends DomainError {
  constructor() {
    const reason = 'recommendation state is still loading; retry shortly';
    super('unavailable', 'unavailable', [{ field: '(request)', reason }], { retryable: true }, reason);
    this.name = 'StateLoadingError';
  }
}

/** Who answers: staging for the A/B share, else production (shadow only mirrors). */
type ServedVariant = RecommendationsView['variant'];

/** An answer, and the version and variant that ranked it. */
interface ServedAnswer {
  answer: Answer;
  model: ServingRecommender | undefined;
  variant: ServedVariant;
}

@Injectable()
export class RecommendationsService {
  private readonly pseudonymizer: Pseudonymizer;
  private readonly pseudonyms = new LRUCache<string, string>({ max: PSEUDONYM_CACHE_SIZE });
  private readonly cache: AnswerCache;

  constructor(
    private readonly models: RecommenderModelsService,
    private readonly state: RecsState,
    private readonly outcomes: OutcomeTracker,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.pseudonymizer = new Pseudonymizer(
      resolvePseudonymizationKey(config, (message) => logger.warn(message)),
    );
    this.cache = new AnswerCache(config.RECS_CACHE_SIZE);
  }

  recommend(tenantId: string, query: RecommendationsQuery, transport: Transport): RecommendationsView {
    return this.view(tenantId, this.answer(tenantId, query, transport));
  }

  /**
   * The answer as its JSON body (`serialize` turns a view into JSON): a cached answer keeps its body,
   * so a repeated request costs neither building the view nor serializing it again.
   */
  recommendJson(
    tenantId: string,
    query: RecommendationsQuery,
    transport: Transport,
    serialize: (view: RecommendationsView) => string,
  ): Buffer {
    const served = this.answer(tenantId, query, transport);
    return (served.answer.body ??= Buffer.from(serialize(this.view(tenantId, served))));
  }

  private view(tenantId: string, { answer, model, variant }: ServedAnswer): RecommendationsView {
    return {
      items: answer.items,
      modelName: model?.name ?? recommenderName(tenantId),
      modelVersion: model?.version ?? null,
      variant,
    };
  }

  private answer(tenantId: string, query: RecommendationsQuery, transport: Transport): ServedAnswer {
    // Until the state is read and the versions loaded over it, an answer would lack purchases or the model.
    if (!this.state.loaded || !this.models.started) throw new StateLoadingError();
    const started = performance.now();
    const pseudonymKey = `${tenantId}\u0000${query.userId}`;
    const knownPseudonym = this.pseudonyms.get(pseudonymKey);
    const userId = knownPseudonym ?? this.pseudonymizer.pseudonym(tenantId, query.userId);
    const variant: ServedVariant =
      inStagingShare(userId, this.config.RECS_STAGING_SHARE) && this.models.has(tenantId, 'staging')
        ? 'staging'
        : 'production';
    const request: RankRequest = {
      userId,
      k: query.k,
      exclude: query.exclude,
      category: query.category === undefined ? undefined : normalizeCategory(query.category),
    };
    const lease = this.models.acquire(tenantId, variant);
    const served = lease?.model;
    const tenant = this.state.peek(tenantId);
    const user = tenant?.users.get(userId);
    // A user with features or a learned vector gets their own entry; every other user the same answer.
    const personal = user !== undefined || served?.model.hasUser(userId) === true;
    // Only the pseudonyms of users we know are kept: a stream of one-off ids (new visitors, a
    // scraper) would otherwise push out the active users' pseudonyms, and keep the heap churning.
    if (knownPseudonym === undefined && personal) this.pseudonyms.set(pseudonymKey, userId);
    // Purchases are always excluded, so only `seen` changes an answer.
    const key = `${tenantId}\u0000${variant}\u0000${personal ? userId : ''}\u0000${request.k}\u0000${request.exclude.has('seen') ? 'seen' : ''}\u0000${request.category ?? ''}`;
    const inputs = { model: served, user, generation: tenant?.generation ?? 0 };
    let answer: Answer;
    try {
      const cached = this.cache.get(key, inputs);
      recsMetrics.cacheLookups.inc({ outcome: cached ? 'hit' : 'miss' });
      if (cached) {
        answer = cached;
      } else {
        const items = rank(served?.model, tenant, request);
        const bad = items.find((i) => !Number.isFinite(i.score));
        if (bad) throw new RankingFailedError(`item ${bad.itemId} scored ${bad.score}`);
        answer = this.cache.set(key, inputs, items);
      }
    } catch (err) {
      recsMetrics.errors.inc({ variant });
      if (served && variant === 'production') this.models.recordOutcome(tenantId, served, true);
      this.logger.error(
        {
          tenant: tenantId,
          model: served?.name,
          version: served?.version,
          variant,
          err: err instanceof RankingFailedError ? err.detail : (err as Error).message,
        },
        'ranking failed',
      );
      throw err instanceof RankingFailedError
        ? err
        : new RankingFailedError((err as Error).message, { cause: err });
    } finally {
      lease?.release();
    }
    if (served && variant === 'production') this.models.recordOutcome(tenantId, served, false);
    recsMetrics.latency.observe({ variant }, (performance.now() - started) / 1000);
    recsMetrics.requests.inc({ variant, transport, reason: answer.items[0]?.reason ?? 'none' });
    if (answer.items.length === 0) recsMetrics.emptyResults.inc({ variant });
    // Version 0: no model loaded, answered from the popular lists.
    this.outcomes.served(tenantId, userId, variant, served?.version ?? 0, answer.items, Date.now());
    if (mirrorToShadow(this.config.RECS_SHADOW_SHARE) && this.models.has(tenantId, 'shadow'))
      setImmediate(() => this.shadow(tenantId, request, answer.items, variant));
    return { answer, model: served, variant };
  }

  /** Ranks the same request on the shadow version and records how far it agrees; never throws. */
  private shadow(tenantId: string, request: RankRequest, served: RankedItem[], variant: ServedVariant): void {
    const lease = this.models.acquire(tenantId, 'shadow');
    if (!lease) return;
    const started = performance.now();
    try {
      const items = rank(lease.model.model, this.state.peek(tenantId), request);
      recsMetrics.shadowLatency.observe((performance.now() - started) / 1000);
      // The pair the shadow is judged on: its list, and what production served, on the same request.
      if (variant === 'production') {
        const { version } = lease.model;
        const now = Date.now();
        this.outcomes.served(tenantId, request.userId, 'shadow', version, items, now);
        this.outcomes.served(tenantId, request.userId, 'shadow_baseline', version, served, now);
      }
      recsMetrics.shadowOverlap.observe(
        overlap(
          served.map((i) => i.itemId),
          items.map((i) => i.itemId),
        ),
      );
      recsMetrics.shadowRequests.inc({ outcome: 'ok' });
    } catch (err) {
      recsMetrics.shadowRequests.inc({ outcome: 'error' });
      this.logger.warn(
        { tenant: tenantId, version: lease.model.version, err: (err as Error).message },
        'shadow ranking failed',
      );
    } finally {
      lease.release();
    }
  }
}
