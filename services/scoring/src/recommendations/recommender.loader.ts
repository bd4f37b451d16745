// Fetches a recommender version from the model registry (every file checked against its SHA-256),
// unpacks it into plain Float32Arrays, gives the tenant's catalog items it was not trained on their
// text-only vectors, and warms it with real queries (learned users, fold-in, popularity) that must
// give finite scores: a version that cannot serve is refused before it takes any traffic.
import { authHeaders, serviceApiKey } from '@mercato/auth';
import type { ModelAlias } from '@mercato/contracts';
import { isIntegrityFailure, RegistryClient, type Promotion } from '@mercato/registry-client';
import { RecommenderModel, type TF, loadRecommender } from '@mercato/ml';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import type { ScoringConfig } from '../scoring.config';
import type { Disposable } from '../sentiment/model-slot';
import type { RecommenderItem } from '@mercato/ml';

export type LoadTrigger = 'startup' | 'event' | 'poll' | 'rollback';

/** One loaded version as a slot holds it. */
export class ServingRecommender implements Disposable {
  constructor(
    readonly name: string,
    readonly version: number,
    readonly model: RecommenderModel,
    readonly loadedAt: Date,
    readonly trigger: LoadTrigger,
  ) {}

  /** The arrays are garbage-collected; nothing native to free. */
  dispose(): void {
    return undefined;
  }
}

export type RefusalReason = 'integrity' | 'registry' | 'invalid_model';

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

@Injectable()
export class RecommenderLoader {
  private readonly registry: RegistryClient;

  constructor(@Inject(SERVICE_CONFIG) config: ScoringConfig) {
    this.registry = new RegistryClient(
      config.MODEL_REGISTRY_URL,
      30_000,
      authHeaders(serviceApiKey()),
      config.MODEL_VERIFY_KEYS_DIR,
    );
  }

  /** The version an alias points to; undefined when there is none (or no such model). */
  aliasVersion(tenantId: string, name: string, alias: ModelAlias): Promise<number | undefined> {
    return this.registry.forTenant(tenantId).resolveAlias(name, alias);
  }

  /**
   * Points the tenant's production alias back at the version this replica serves, away from one it
   * refused or rolled back, so that restarts and new replicas do not load that one again; the
   * registry's PROMOTED event brings the other replicas along. Conditional on the alias still
   * pointing at the failed version: one move however many replicas ask, and none over a newer
   * promotion. Resolves with the registry's answer (outcome promoted, or the reason it did not move).
   */
  async restoreProduction(
    tenantId: string,
    name: string,
    move: { from: number; to: number; reason: string },
  ): Promise<Promotion | { outcome: 'refused'; reason: string }> {
    try {
      return await this.registry.forTenant(tenantId).promote(name, {
        version: move.to,
        alias: 'production',
        reason: `${move.reason} (scoring@${hostname()})`,
        force: true,
        fromVersion: move.from,
      });
    } catch (err) {
      return { outcome: 'refused', reason: (err as Error).message };
    }
  }

  /** Downloads and checks a version of the tenant's model (the service key acts for that tenant). */
  async load(
    tf: TF,
    tenantId: string,
    name: string,
    version: number,
    trigger: LoadTrigger,
    catalog: RecommenderItem[],
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
    try {
      const model = await loadRecommender(tf, { files });
      model.addItems(catalog);
      warmUp(model);
      return new ServingRecommender(name, version, model, new Date(), trigger);
    } catch (err) {
      throw new RecommenderRefusedError(
        `${name} v${version}: not a usable recommender: ${(err as Error).message}`,
        'invalid_model',
        { cause: err },
      );
    }
  }
}

/** The learned users warm-up queries: an even spread over the model's users. */
export function warmUpUsers(model: RecommenderModel): string[] {
  const users = model.userIds;
  const step = Math.max(1, Math.floor(users.length / WARM_UP_QUERIES));
  const out: string[] = [];
  for (let u = 0; u < users.length && out.length < WARM_UP_QUERIES; u += step) out.push(users[u] as string);
  return out;
}

/** Queries like the traffic's (JIT-compiles the scoring loop too); refuses non-finite scores. */
export function warmUp(model: RecommenderModel): void {
  if (model.itemIds.length === 0) throw new Error('the model has no items');
  const queries: (string | Float32Array)[] = [
    new Float32Array(model.hp.dim),
    ...warmUpUsers(model),
    model.userVectorFromItems(model.itemIds.slice(0, 5) as string[]),
  ];
  for (const query of queries) {
    for (const { item, score } of model.topK(query, 10)) {
      if (!Number.isFinite(score)) throw new Error(`warm-up scored item ${item} ${score}`);
    }
  }
}
