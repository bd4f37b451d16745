// Fetches a recommender version from the model registry (every file checked against its SHA-256),
// unpacks it into plain Float32Arrays, gives the tenant's catalog items it was not trained on their
// text-only vectors, builds its top-K index when the catalog is large enough (RECS_EXACT_BELOW), and
// warms it with real queries (learned users, fold-in, popularity) that must give finite scores and,
// through the index, at least RECS_INDEX_MIN_RECALL of the exhaustive scan's top 10: a version that
// cannot serve, or whose index cannot be built, is refused (saying why) before it takes any traffic.
import { authHeaders, serviceApiKey } from '@mercato/auth';
import type { ModelAlias } from '@mercato/contracts';
import {
  isIntegrityFailure,
  RegistryClient,
  type OnlineEvidence,
  type Promotion,
} from '@mercato/registry-client';
import {
  evenSpread,
  IndexBuildError,
  RecommenderModel,
  type IndexTuning,
  type RetrievalInfo,
  type RetrievalSettings,
  type TF,
  loadRecommender,
} from '@mercato/ml';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import type { ScoringConfig } from '../scoring.config';
import type { Disposable } from '../sentiment/model-slot';
import { normalizeCategory } from './recs-state';
import type { RecommenderItem } from '@mercato/ml';

export type LoadTrigger = 'startup' | 'event' | 'poll' | 'rollback';

/** How a loaded version serves top-K: the model's retrieval, and the recall measured at warm-up. */
export interface ServingRetrieval extends RetrievalInfo {
  /** Recall@10 against the exhaustive scan on the warm-up queries (1 for the exhaustive scan). */
  recall: number;
  warmUpQueries: number;
}

/** One loaded version as a slot holds it. */
export class ServingRecommender implements Disposable {
  constructor(
    readonly name: string,
    readonly version: number,
    readonly model: RecommenderModel,
    readonly loadedAt: Date,
    readonly trigger: LoadTrigger,
    readonly retrieval: ServingRetrieval,
  ) {}

  /** The arrays are garbage-collected; nothing native to free. */
  dispose(): void {
    return undefined;
  }
}

export type RefusalReason = 'integrity' | 'registry' | 'invalid_model' | 'index';

export class RecommenderRefusedError extends Error {
  constructor(
    message: string,
    readonly reason: RefusalReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RecommenderRefusedError';
  }
}

const WARM_UP_QUERIES = 32;
const RECALL_AT = 10;

@Injectable()
export class RecommenderLoader {
  private readonly registry: RegistryClient;
  private readonly retrieval: Partial<RetrievalSettings>;

  constructor(@Inject(SERVICE_CONFIG) private readonly config: ScoringConfig) {
    this.registry = new RegistryClient(
      config.MODEL_REGISTRY_URL,
      30_000,
      authHeaders(serviceApiKey()),
      config.MODEL_VERIFY_KEYS_DIR,
    );
    this.retrieval = retrievalSettings(config);
  }

  /** The version an alias points to; undefined when there is none (or no such model). */
  aliasVersion(tenantId: string, name: string, alias: ModelAlias): Promise<number | undefined> {
    return this.registry.forTenant(tenantId).resolveAlias(name, alias);
  }

  /**
   * Moves the tenant's production alias from one version to another, conditionally on it still
   * pointing at `from`: one move however many replicas ask, and none over a newer promotion; the
   * registry's PROMOTED event brings the other replicas along. Without `online` figures it is forced:
   * the alias goes back to the version this replica serves, away from one it refused or rolled back,
   * so restarts do not load that one again. With them the registry decides on them (a shadow version
   * promoted or rejected, a rollback on hit rate) and records the verdict. Resolves with the
   * registry's answer (promoted, rejected, or the reason it did not move); never throws.
   */
  async moveProduction(
    tenantId: string,
    name: string,
    move: { from: number; to: number; reason: string; online?: OnlineEvidence },
  ): Promise<Promotion | { outcome: 'refused'; reason: string }> {
    try {
      return await this.registry.forTenant(tenantId).promote(name, {
        version: move.to,
        alias: 'production',
        reason: `${move.reason} (scoring@${hostname()})`,
        fromVersion: move.from,
        ...(move.online ? { online: move.online } : { force: true }),
      });
    } catch (err) {
      return { outcome: 'refused', reason: (err as Error).message };
    }
  }

  /** Whether the registry already holds an online decision about moving production to the version. */
  async decidedOnline(tenantId: string, name: string, version: number): Promise<boolean> {
    const { decisions } = await this.registry.forTenant(tenantId).lineage(name, version);
    return decisions.some(
      (d) =>
        d.alias === 'production' && d.toVersion === version && d.decision?.championMeasuredOn === 'online',
    );
  }

  /**
   * Downloads and checks a version of the tenant's model (the service key acts for that tenant).
   * `catalog` is read once the files are in: items that arrived during the download are not missed.
   */
  async load(
    tf: TF,
    tenantId: string,
    name: string,
    version: number,
    trigger: LoadTrigger,
    catalog: () => RecommenderItem[],
    histories: () => readonly (readonly string[])[] = () => [],
  ): Promise<ServingRecommender> {
    let files;
    try {
      ({ files } = await this.registry.forTenant(tenantId).download(name, version));
    } catch (err) {
      const integrity = isIntegrityFailure(err);
      throw new RecommenderRefusedError(
        `${name} v${version}: download failed: ${(err as Error).message}`,
        integrity ? 'integrity' : 'registry',
        { cause: err },
      );
    }
    let model: RecommenderModel;
    try {
      model = await loadRecommender(tf, { files });
      model.addItems(catalog());
      warmUp(model);
    } catch (err) {
      throw new RecommenderRefusedError(
        `${name} v${version}: not a usable recommender: ${(err as Error).message}`,
        'invalid_model',
        { cause: err },
      );
    }
    const retrieval = prepareRetrieval(
      model,
      this.retrieval,
      this.config.RECS_INDEX_MIN_RECALL,
      `${name} v${version}`,
      { queries: tuningQueries(model, histories()), subsets: categorySubsets(model, catalog()) },
    );
    return new ServingRecommender(name, version, model, new Date(), trigger, retrieval);
  }
}

/**
 * Builds the model's top-K index (or keeps the exhaustive scan below `exactBelow` items), warms it
 * with the warm-up queries and measures its recall against the exhaustive scan on them. Refuses
 * (reason `index`, saying why) an index that cannot be built or recalls less than `minRecall`.
 */
export function prepareRetrieval(
  model: RecommenderModel,
  settings: Partial<RetrievalSettings>,
  minRecall: number,
  what: string,
  tuning?: IndexTuning,
): ServingRetrieval {
  try {
    const built = model.buildIndex(settings, tuning);
    const queries = warmUpQueries(model);
    const { recall } = model.retrievalRecall(queries, RECALL_AT);
    if (built.kind === 'ivf' && recall < minRecall)
      throw new IndexBuildError(
        `recall@${RECALL_AT} ${recall.toFixed(3)} against the exhaustive scan on ${queries.length} warm-up queries is below RECS_INDEX_MIN_RECALL ${minRecall} (${built.lists} lists, probe ${built.probe}): ${built.probeChoice?.how === 'set' ? 'raise RECS_INDEX_PROBE, or set it to 0 to have it chosen' : 'raise RECS_INDEX_TARGET_RECALL'}`,
      );
    return { ...model.retrieval(), recall, warmUpQueries: queries.length };
  } catch (err) {
    throw new RecommenderRefusedError(`${what}: index not built: ${(err as Error).message}`, 'index', {
      cause: err,
    });
  }
}

/** The index settings of RECS_EXACT_BELOW and RECS_INDEX_* (0 lists: chosen from the catalog size). */
export function retrievalSettings(config: ScoringConfig): Partial<RetrievalSettings> {
  return {
    exactBelow: config.RECS_EXACT_BELOW,
    lists: config.RECS_INDEX_LISTS,
    probe: config.RECS_INDEX_PROBE,
    rerank: config.RECS_INDEX_RERANK,
    targetRecall: config.RECS_INDEX_TARGET_RECALL,
  };
}

/** The largest categories the reach of a category-limited query is chosen on. */
const TUNING_CATEGORIES = 16;

/** The rows (ascending) of the catalog's largest categories (normalized, as requests name them). */
export function categorySubsets(model: RecommenderModel, catalog: readonly RecommenderItem[]): Int32Array[] {
  const rows = new Map<string, number[]>();
  for (const it of catalog) {
    const row = model.rowOf(it.item);
    if (row === undefined) continue;
    for (const category of new Set(it.categories.map(normalizeCategory))) {
      const list = rows.get(category);
      if (list) list.push(row);
      else rows.set(category, [row]);
    }
  }
  return [...rows.values()]
    .sort((a, b) => b.length - a.length)
    .slice(0, TUNING_CATEGORIES)
    .map((list) => Int32Array.from(list).sort());
}

/** Histories (users' latest items) the probe is chosen on at most, beside as many learned users. */
const TUNING_HISTORIES = 64;

/**
 * Queries like the traffic's to choose the index's probe on: the towers (fold-ins) over an even
 * spread of the tenant's users' latest items, and an even spread of the learned users.
 */
export function tuningQueries(
  model: RecommenderModel,
  histories: readonly (readonly string[])[],
): (string | Float32Array)[] {
  const known = histories.filter((recent) => recent.some((item) => model.hasItem(item)));
  return [
    ...evenSpread(known, TUNING_HISTORIES).map((recent) => model.userVectorFromItems(recent)),
    ...evenSpread(model.userIds, TUNING_HISTORIES),
  ];
}

/** The learned users warm-up queries: an even spread over the model's users. */
export function warmUpUsers(model: RecommenderModel): string[] {
  return evenSpread(model.userIds, WARM_UP_QUERIES);
}

/** Queries like the traffic's: popularity (no vector), learned users, a fold-in. */
export function warmUpQueries(model: RecommenderModel): (string | Float32Array)[] {
  return [
    new Float32Array(model.hp.dim),
    ...warmUpUsers(model),
    model.userVectorFromItems(model.itemIds.slice(0, 5) as string[]),
  ];
}

/** The warm-up queries on the exhaustive scan (JIT-compiles the scoring loop too); refuses non-finite scores. */
export function warmUp(model: RecommenderModel): void {
  if (model.itemIds.length === 0) throw new Error('the model has no items');
  for (const query of warmUpQueries(model)) {
    for (const { item, score } of model.topK(query, 10)) {
      if (!Number.isFinite(score)) throw new Error(`warm-up scored item ${item} ${score}`);
    }
  }
}
