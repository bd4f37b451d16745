// Ranking one request: the model's top-K over the tenant's catalog (the exhaustive scan of a small
// catalog, the index of a large one: see RecommenderModel.topK) with the business filters (never
// purchased items, seen ones on request, only available items, the category when asked), applied
// inside the top-K so that a filtered list is never short of K while K items pass.
// With a sequential model a user is their latest items (its user tower over them), trained on or
// not; with the others a user the model was trained on is scored from their learned vector blended
// with their recent items (so today's purchase moves today's answer), and a user it does not know
// but who has history gets the fold-in of that history. A user with neither gets popular and
// trending items. Lists shorter
// than K (strict filters) are filled from popular items.
import type { RecommenderModel, TopKOptions } from '@mercato/ml';
import type { PopularItem, TenantState, UserState } from './recs-state';
import { servingIndex } from './serving-index';

export type Reason = 'personalized' | 'popular' | 'similar_to_recent';
export const EXCLUDE_VALUES = ['purchased', 'seen'] as const;
export type ExcludeValue = (typeof EXCLUDE_VALUES)[number];

export interface RankRequest {
  userId: string;
  k: number;
  exclude: ReadonlySet<ExcludeValue>;
  /** Normalized (lower-case). */
  category?: string;
}

export interface RankedItem {
  itemId: string;
  score: number;
  reason: Reason;
}

export function rank(
  model: RecommenderModel | undefined,
  state: TenantState | undefined,
  request: RankRequest,
): RankedItem[] {
  const user = state?.users.get(request.userId);
  const excluded = excludedItems(user, request.exclude);
  const accept = (itemId: string): boolean =>
    !excluded.has(itemId) &&
    (state?.isAvailable(itemId) ?? true) &&
    (request.category === undefined || (state?.inCategory(itemId, request.category) ?? false));

  const out: RankedItem[] = [];
  const rules = model ? catalogRules(model, state, request.category) : {};
  if (model) {
    const personal = userVector(model, request.userId, user);
    if (personal) {
      for (const { item, score } of model.topK(personal.vector, request.k, { exclude: excluded, ...rules }))
        out.push({ itemId: item, score, reason: personal.reason });
    }
  }
  if (out.length < request.k) fillWithPopular(out, model, state, request.k, accept, excluded, rules);
  return out;
}

const NO_ROWS = new Int32Array(0);

type CatalogRules = Pick<TopKOptions, 'allowed' | 'allowedShare' | 'rows'>;

/** accept() as row sets over the model's items (serving-index.ts), for the model's top-K. */
function catalogRules(
  model: RecommenderModel,
  state: TenantState | undefined,
  category: string | undefined,
): CatalogRules {
  // Without a catalog every item is available and none is in any category.
  if (!state) return category === undefined ? {} : { rows: NO_ROWS };
  const index = servingIndex(model, state);
  return category === undefined
    ? { allowed: index.available, allowedShare: index.availableShare }
    : { rows: index.inCategory(category) };
}

function excludedItems(user: UserState | undefined, exclude: ReadonlySet<ExcludeValue>): Set<string> {
  if (!user) return new Set();
  // Purchases are never recommended again, whatever the request asks.
  const out = new Set(user.purchased);
  if (exclude.has('seen')) for (const item of user.recent) out.add(item);
  return out;
}

type UserQuery = { vector: Float32Array; reason: Reason } | undefined;

/**
 * A user's query vector, by their features object (replaced on every update, so a new interaction
 * makes a new vector) for the model that computed it, while the model holds as many items as then
 * (an added item can be one of the user's recent ones). The tower over 50 recent items was about a
 * tenth of an uncached request's CPU, and the same users come back for other pages, categories and K.
 */
const queries = new WeakMap<UserState, { model: RecommenderModel; items: number; query: UserQuery }>();

function userVector(model: RecommenderModel, userId: string, user: UserState | undefined): UserQuery {
  if (!user) return computeUserVector(model, userId, undefined);
  const items = model.itemIds.length;
  const known = queries.get(user);
  if (known?.model === model && known.items === items) return known.query;
  const query = computeUserVector(model, userId, user);
  queries.set(user, { model, items, query });
  return query;
}

function computeUserVector(model: RecommenderModel, userId: string, user: UserState | undefined): UserQuery {
  const learned = model.userVector(userId);
  if (model.readsHistory) {
    // A sequential model's user is their latest items: today's history makes today's vector.
    const fresh = user && user.recent.some((i) => model.hasItem(i));
    if (fresh)
      return {
        vector: model.userVectorFromItems(user.recent),
        reason: learned ? 'personalized' : 'similar_to_recent',
      };
    return learned ? { vector: learned, reason: 'personalized' } : undefined;
  }
  const recent = user ? user.recent.slice(0, model.historyLength).filter((i) => model.hasItem(i)) : [];
  if (learned) {
    if (recent.length === 0) return { vector: learned, reason: 'personalized' };
    return { vector: blend(learned, model.userVectorFromItems(recent)), reason: 'personalized' };
  }
  if (recent.length === 0) return undefined;
  return { vector: model.userVectorFromItems(recent), reason: 'similar_to_recent' };
}

/**
 * Half the learned taste, half the recent history, the history scaled to the learned vector's
 * length so neither side wins by magnitude alone.
 */
function blend(learned: Float32Array, recent: Float32Array): Float32Array {
  const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const a = norm(learned);
  const b = norm(recent);
  const scale = b > 0 ? a / b : 0;
  const out = new Float32Array(learned.length);
  for (let j = 0; j < out.length; j++)
    out[j] = 0.5 * (learned[j] as number) + 0.5 * scale * (recent[j] as number);
  return out;
}

/**
 * Trending and popular items alternately (what is hot now, then what sells over the week); without
 * lists from the feature service (not fetched yet, or unreachable), the model's item biases, which
 * are its popularity estimate.
 */
function fillWithPopular(
  out: RankedItem[],
  model: RecommenderModel | undefined,
  state: TenantState | undefined,
  k: number,
  accept: (itemId: string) => boolean,
  excluded: ReadonlySet<string>,
  rules: CatalogRules,
): void {
  const taken = new Set(out.map((r) => r.itemId));
  const lists = state?.popular;
  for (const item of interleave(lists?.trending ?? [], lists?.popular ?? [])) {
    if (out.length >= k) return;
    if (taken.has(item.itemId) || !accept(item.itemId)) continue;
    taken.add(item.itemId);
    out.push({ itemId: item.itemId, score: item.score, reason: 'popular' });
  }
  if (out.length >= k || !model) return;
  const zero = new Float32Array(model.hp.dim);
  for (const item of excluded) taken.add(item);
  const rest = model.topK(zero, k - out.length, { exclude: taken, ...rules });
  for (const { item, score } of rest) out.push({ itemId: item, score, reason: 'popular' });
}

function* interleave(a: PopularItem[], b: PopularItem[]): Generator<PopularItem> {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) yield a[i] as PopularItem;
    if (i < b.length) yield b[i] as PopularItem;
  }
}
