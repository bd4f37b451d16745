// The catalog rules of one tenant laid over one model's rows (its itemIds order): a mask of the rows
// that may be served (available items) and, per category asked for, the list of available rows in
// it. Ranking reads these instead of asking the catalog about each item by id, which cost more than
// scoring the whole catalog once a category filter rejected most items. An index is rebuilt when the
// tenant's generation moves (catalog or popular lists changed) or the model gained rows (new items).
import type { RecommenderModel } from '@mercato/ml';
import type { TenantState } from './recs-state';

/** Categories kept per index; past this the lists are dropped and rebuilt as they are asked for. */
const MAX_CATEGORIES = 4_096;

export class ServingIndex {
  private readonly categories = new Map<string, Int32Array>();

  private constructor(
    private readonly items: readonly string[],
    readonly state: TenantState,
    readonly generation: number,
    readonly rowCount: number,
    /** 1 where the row's item may be served. */
    readonly available: Uint8Array,
  ) {}

  static build(model: RecommenderModel, state: TenantState): ServingIndex {
    const items = model.itemIds;
    const available = new Uint8Array(items.length);
    for (let i = 0; i < items.length; i++) available[i] = state.isAvailable(items[i] as string) ? 1 : 0;
    return new ServingIndex(items, state, state.generation, items.length, available);
  }

  /** The available rows of a (normalized) category, in row order. */
  inCategory(category: string): Int32Array {
    let rows = this.categories.get(category);
    if (rows) return rows;
    const out: number[] = [];
    for (let i = 0; i < this.rowCount; i++)
      if (this.available[i] === 1 && this.state.inCategory(this.items[i] as string, category)) out.push(i);
    rows = Int32Array.from(out);
    if (this.categories.size >= MAX_CATEGORIES) this.categories.clear();
    this.categories.set(category, rows);
    return rows;
  }
}

const indexes = new WeakMap<RecommenderModel, ServingIndex>();

/** The model's index over the tenant's current catalog, built when missing or stale. */
export function servingIndex(model: RecommenderModel, state: TenantState): ServingIndex {
  let index = indexes.get(model);
  if (
    !index ||
    index.state !== state ||
    index.generation !== state.generation ||
    index.rowCount !== model.itemIds.length
  ) {
    index = ServingIndex.build(model, state);
    indexes.set(model, index);
  }
  return index;
}
