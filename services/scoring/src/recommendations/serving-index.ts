// The catalog rules of one tenant laid over one model's rows (its itemIds order): a mask of the rows
// that may be served (available items) with their count, and for every category the ascending list
// of its available rows. Ranking hands these to the model's top-K (the exhaustive scan or the index)
// instead of asking the catalog about each item by id. Everything is built in one pass over the rows
// when a model is loaded (before its swap), then kept up to date change by change: items that
// arrive (new rows) and items whose availability or categories change (TenantState.changesSince),
// so a stream of catalog updates never costs a pass over a million-item catalog per request.
import type { RecommenderModel } from '@mercato/ml';
import type { TenantState } from './recs-state';

const NO_ROWS = new Int32Array(0);

export class ServingIndex {
  /** 1 where the row's item may be served; sized with room to grow. */
  private mask: Uint8Array;
  private availableRows = 0;
  private readonly categories = new Map<string, Int32Array>();
  private rows = 0;
  private changes: number;

  private constructor(
    readonly model: RecommenderModel,
    readonly state: TenantState,
  ) {
    this.mask = new Uint8Array(model.itemIds.length);
    this.changes = state.catalogChanges;
    this.extend();
  }

  /** The index of the model over the tenant's catalog as it is now. */
  static build(model: RecommenderModel, state: TenantState): ServingIndex {
    return new ServingIndex(model, state);
  }

  /** Rows the index covers (the model's items when it was last brought up to date). */
  get rowCount(): number {
    return this.rows;
  }

  /** 1 where the row's item may be served. */
  get available(): Uint8Array {
    return this.mask;
  }

  /** The share of the rows that may be served. */
  get availableShare(): number {
    return this.rows === 0 ? 1 : this.availableRows / this.rows;
  }

  /** The available rows of a (normalized) category, ascending. */
  inCategory(category: string): Int32Array {
    return this.categories.get(category) ?? NO_ROWS;
  }

  /** Catches up with the model's new rows and the catalog's changes since the last call. */
  sync(): void {
    if (this.rows !== this.model.itemIds.length) this.extend();
    const total = this.state.catalogChanges;
    if (total === this.changes) return;
    const changed = this.state.changesSince(this.changes);
    this.changes = total;
    if (!changed) {
      this.rebuild();
      return;
    }
    this.apply(changed);
  }

  /** Rows the model gained (and, at first, all of them): availability and categories, appended. */
  private extend(): void {
    const items = this.model.itemIds;
    const from = this.rows;
    const to = items.length;
    if (to > this.mask.length) {
      const grown = new Uint8Array(Math.max(to, Math.ceil(this.mask.length * 1.5)));
      grown.set(this.mask.subarray(0, from));
      this.mask = grown;
    }
    const added = new Map<string, number[]>();
    for (let row = from; row < to; row++) {
      const entry = this.state.catalog.get(items[row] as string);
      const available = entry?.available ?? true;
      this.mask[row] = available ? 1 : 0;
      if (!available) continue;
      this.availableRows++;
      for (const category of entry?.categories ?? []) {
        const list = added.get(category);
        if (list) list.push(row);
        else added.set(category, [row]);
      }
    }
    for (const [category, rows] of added) {
      const before = this.categories.get(category) ?? NO_ROWS;
      const next = new Int32Array(before.length + rows.length);
      next.set(before);
      next.set(rows, before.length);
      this.categories.set(category, next);
    }
    this.rows = to;
  }

  /** Changed items already in the model: their mask bit, and the category lists they leave or join. */
  private apply(changed: readonly string[]): void {
    const joins = new Map<string, Set<number>>();
    const leaves = new Map<string, Set<number>>();
    const note = (map: Map<string, Set<number>>, category: string, row: number): void => {
      const set = map.get(category);
      if (set) set.add(row);
      else map.set(category, new Set([row]));
    };
    for (const item of new Set(changed)) {
      const row = this.model.rowOf(item);
      if (row === undefined || row >= this.rows) continue;
      const entry = this.state.catalog.get(item);
      const available = entry?.available ?? true;
      if ((this.mask[row] === 1) !== available) {
        this.mask[row] = available ? 1 : 0;
        this.availableRows += available ? 1 : -1;
      }
      const now = available ? (entry?.categories ?? new Set<string>()) : new Set<string>();
      for (const [category, rows] of this.categories)
        if (!now.has(category) && contains(rows, row)) note(leaves, category, row);
      for (const category of now)
        if (!contains(this.categories.get(category) ?? NO_ROWS, row)) note(joins, category, row);
    }
    for (const category of new Set([...joins.keys(), ...leaves.keys()])) {
      const out = new Set(leaves.get(category));
      const kept = Array.from(this.categories.get(category) ?? NO_ROWS).filter((r) => !out.has(r));
      const next = Int32Array.from([...kept, ...(joins.get(category) ?? [])]).sort();
      if (next.length === 0) this.categories.delete(category);
      else this.categories.set(category, next);
    }
  }

  private rebuild(): void {
    this.categories.clear();
    this.availableRows = 0;
    this.rows = 0;
    this.extend();
  }
}

/** Whether an ascending list holds the row (binary search). */
function contains(rows: Int32Array, row: number): boolean {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = rows[mid] as number;
    if (value === row) return true;
    if (value < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

const indexes = new WeakMap<RecommenderModel, ServingIndex>();

/** The model's index over the tenant's current catalog: built once, then brought up to date. */
export function servingIndex(model: RecommenderModel, state: TenantState): ServingIndex {
  let index = indexes.get(model);
  if (!index || index.state !== state) {
    index = ServingIndex.build(model, state);
    indexes.set(model, index);
  } else {
    index.sync();
  }
  return index;
}
