// The in-memory serving state of every tenant: users' recent and purchased items (from the compacted
// features.user.v1), the catalog (from the compacted catalog.items.v1: availability, categories,
// text for cold items) and the popular/trending lists polled from the feature service. Requests read
// it synchronously, so answering never waits on a database or another service.
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { CatalogItem, UserFeatures } from '@mercato/contracts';
import type { RecommenderItem } from '@mercato/ml';

export interface UserState {
  /** Most recent first, deduplicated. */
  recent: string[];
  purchased: Set<string>;
}

export interface CatalogEntry {
  available: boolean;
  /** Lower-cased, for the category filter. */
  categories: Set<string>;
  /** What the text part of the model reads for an item it was not trained on. */
  features: RecommenderItem;
  /** The version's updated_at (ms since the epoch; 0 when the record has none). */
  updatedMs: number;
}

export interface PopularItem {
  itemId: string;
  score: number;
  categories: string[];
}

export interface PopularLists {
  popular: PopularItem[];
  trending: PopularItem[];
  asOf: Date | null;
}

export class TenantState {
  readonly users = new Map<string, UserState>();
  readonly catalog = new Map<string, CatalogEntry>();
  private popularLists: PopularLists = { popular: [], trending: [], asOf: null };
  /**
   * Bumped by every change that can alter any user's answer (catalog availability, categories or
   * new items; new popular lists), so cached answers know they are stale. A user's own changes
   * replace their UserState object instead.
   */
  generation = 0;
  /** Items whose availability or categories changed, or that arrived, oldest first (see changesSince). */
  private changed: string[] = [];
  /** How many changes were ever recorded; changed[i] is change number changedFrom + i. */
  private changedFrom = 0;

  get popular(): PopularLists {
    return this.popularLists;
  }

  set popular(lists: PopularLists) {
    this.popularLists = lists;
    this.generation++;
  }

  size(): { users: number; items: number } {
    return { users: this.users.size, items: this.catalog.size };
  }

  /** Items may be served when the catalog does not mark them unavailable (a model's items are real). */
  isAvailable(itemId: string): boolean {
    return this.catalog.get(itemId)?.available ?? true;
  }

  /** Only items the catalog puts in the category match it: an unknown item's categories are unknown. */
  inCategory(itemId: string, category: string): boolean {
    return this.catalog.get(itemId)?.categories.has(category) ?? false;
  }

  /** Catalog changes recorded so far: what a serving index compares with its own count. */
  get catalogChanges(): number {
    return this.changedFrom + this.changed.length;
  }

  /** An item that arrived or whose availability or categories changed: serving indexes catch up on it. */
  recordChange(itemId: string): void {
    this.changed.push(itemId);
    this.generation++;
    if (this.changed.length > MAX_CHANGES_KEPT) {
      const dropped = this.changed.length - MAX_CHANGES_KEPT / 2;
      this.changed = this.changed.slice(dropped);
      this.changedFrom += dropped;
    }
  }

  /** The items changed since change number `from`; undefined when those are no longer kept (rebuild). */
  changesSince(from: number): readonly string[] | undefined {
    if (from < this.changedFrom) return undefined;
    return this.changed.slice(from - this.changedFrom);
  }
}

/** Changes kept for serving indexes to catch up incrementally; one further behind rebuilds. */
const MAX_CHANGES_KEPT = 100_000;

/** Catalog items that arrived since the last drain: new ones get text-only vectors in loaded models. */
export type CatalogListener = (tenantId: string, items: RecommenderItem[]) => void;

export class RecsState {
  private readonly tenants = new Map<string, TenantState>();
  private readonly catalogListeners: CatalogListener[] = [];
  private caughtUp = false;
  private signalCaughtUp: () => void = () => undefined;
  private readonly caughtUpSignal = new Promise<void>((resolve) => {
    this.signalCaughtUp = resolve;
  });

  /**
   * Whether the state holds every user and item the compacted topics held when the process started.
   * Until then a known user's purchases may be missing, so nobody is answered from it.
   */
  get loaded(): boolean {
    return this.caughtUp;
  }

  markLoaded(): void {
    this.caughtUp = true;
    this.signalCaughtUp();
  }

  /**
   * Resolves once the state is loaded: a recommender version loaded before then would meet the
   * catalog batch by batch and lay its index out again and again (a million items: tens of seconds).
   */
  whenLoaded(): Promise<void> {
    return this.caughtUpSignal;
  }

  tenant(tenantId: string): TenantState {
    let state = this.tenants.get(tenantId);
    if (!state) {
      state = new TenantState();
      this.tenants.set(tenantId, state);
    }
    return state;
  }

  /** The tenant's state when it has any, without creating it (a request for an unknown tenant). */
  peek(tenantId: string): TenantState | undefined {
    return this.tenants.get(tenantId);
  }

  tenantIds(): string[] {
    return [...this.tenants.keys()];
  }

  onCatalogItems(listener: CatalogListener): void {
    this.catalogListeners.push(listener);
  }

  /**
   * The latest UserFeatures of a user replaces what was held. An empty record (no items, no
   * interactions: the feature service's "forget this user") or a tombstone removes the user.
   */
  applyUserFeatures(tenantId: string, userId: string, features: UserFeatures | null): void {
    const state = this.tenant(tenantId);
    if (
      !features ||
      (features.recentItems.length === 0 &&
        features.purchasedItemIds.length === 0 &&
        features.interactionCount === 0n)
    ) {
      state.users.delete(userId);
      return;
    }
    const recent: string[] = [];
    const seen = new Set<string>();
    for (const r of features.recentItems) {
      if (!r.itemId || seen.has(r.itemId)) continue;
      seen.add(r.itemId);
      recent.push(r.itemId);
    }
    state.users.set(userId, { recent, purchased: new Set(features.purchasedItemIds.filter(Boolean)) });
  }

  /**
   * A batch of catalog records. The newest updated_at wins, and on a tie the later record: an item's
   * versions are in one partition in order, except across the re-keying of catalog.items.v1 (item id,
   * then tenant and item id: catalogItemKey), where an old-keyed version may sit in another partition
   * and be read after a newer one.
   */
  applyCatalog(items: CatalogItem[], fallbackTenant: string): void {
    const added = new Map<string, RecommenderItem[]>();
    for (const item of items) {
      if (!item.itemId) continue;
      const tenantId = item.tenantId || fallbackTenant;
      const tenant = this.tenant(tenantId);
      const previous = tenant.catalog.get(item.itemId);
      const updatedMs = item.updatedAt ? timestampMs(item.updatedAt) : 0;
      if (previous && previous.updatedMs > updatedMs) continue;
      const features: RecommenderItem = {
        item: item.itemId,
        text: [item.title, item.description].filter(Boolean).join('. '),
        categories: item.categories,
      };
      const categories = new Set(item.categories.map(normalizeCategory));
      const changed =
        !previous ||
        previous.available !== item.available ||
        previous.categories.size !== categories.size ||
        [...categories].some((c) => !previous.categories.has(c));
      tenant.catalog.set(item.itemId, { available: item.available, categories, features, updatedMs });
      if (changed) tenant.recordChange(item.itemId);
      const list = added.get(tenantId) ?? [];
      list.push(features);
      added.set(tenantId, list);
    }
    for (const [tenantId, list] of added)
      for (const listener of this.catalogListeners) listener(tenantId, list);
  }
}

export const normalizeCategory = (category: string): string => category.trim().toLowerCase();
