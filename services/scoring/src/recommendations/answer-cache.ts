// A bounded LRU of recent answers. Pages are asked for again and again (refreshes, pagination,
// several widgets), and an answer only changes when its inputs do: the version that ranked it, the
// user's own features (a new UserState object on every update), or the tenant's catalog and popular
// lists (TenantState.generation). An entry records all three and is used only while all three are
// unchanged, so a purchase or a withdrawn item is reflected on the very next request. An entry also
// keeps its HTTP body once serialized: a repeat is sent as the same bytes, not serialized again.
import { LRUCache } from 'lru-cache';
import type { RankedItem } from './ranking';
import type { UserState } from './recs-state';

export interface AnswerInputs {
  model: object | undefined;
  user: UserState | undefined;
  generation: number;
}

/** One answer: its items and, once an HTTP caller has asked for it, its JSON body. */
export interface Answer {
  readonly items: RankedItem[];
  body?: Buffer;
}

interface Entry extends AnswerInputs, Answer {}

export class AnswerCache {
  /** Absent at capacity 0: every answer is ranked afresh. */
  private readonly entries?: LRUCache<string, Entry>;

  constructor(capacity: number) {
    if (capacity > 0) this.entries = new LRUCache({ max: capacity });
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  get(key: string, inputs: AnswerInputs): Answer | undefined {
    const entry = this.entries?.get(key);
    if (!entry) return undefined;
    if (
      entry.model !== inputs.model ||
      entry.user !== inputs.user ||
      entry.generation !== inputs.generation
    ) {
      this.entries?.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Keeps the items as the answer for these inputs; the answer is returned either way. */
  set(key: string, inputs: AnswerInputs, items: RankedItem[]): Answer {
    const entry: Entry = { model: inputs.model, user: inputs.user, generation: inputs.generation, items };
    this.entries?.set(key, entry);
    return entry;
  }
}
