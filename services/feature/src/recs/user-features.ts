// The online features of one user and how a batch of new interactions updates them: recent items
// are the distinct items of the user's latest interactions, most recent first, at most `max`;
// purchases are kept as a distinct list, most recent first; the count counts stored interactions.
// Merging is order-independent: a late record lands where its time puts it.
import type { InteractionTypeName } from './interaction-records';

export interface RecentItem {
  itemId: string;
  type: InteractionTypeName;
  at: Date;
}

export interface UserState {
  tenantId: string;
  userId: string;
  recentItems: RecentItem[];
  purchasedItemIds: string[];
  interactionCount: number;
  /** When the row was created (a new row after a deletion gets a new one); part of the event id. */
  createdAt: Date;
  updatedAt: Date;
}

export interface UserEvent {
  itemId: string;
  type: InteractionTypeName;
  occurredAt: Date;
}

const TYPE_RANK: Record<InteractionTypeName, number> = { view: 0, click: 1, rating: 2, cart: 3, purchase: 4 };

/** a is preferred over b as the entry of their (same) item: later, or at the same time a stronger signal. */
const newer = (a: RecentItem, b: RecentItem): boolean =>
  a.at.getTime() !== b.at.getTime() ? a.at > b.at : TYPE_RANK[a.type] > TYPE_RANK[b.type];

export function mergeRecentItems(
  current: readonly RecentItem[],
  events: readonly RecentItem[],
  max: number,
): RecentItem[] {
  const latest = new Map<string, RecentItem>();
  for (const item of [...current, ...events]) {
    const seen = latest.get(item.itemId);
    if (!seen || newer(item, seen)) latest.set(item.itemId, item);
  }
  return [...latest.values()]
    .sort(
      (a, b) => b.at.getTime() - a.at.getTime() || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0),
    )
    .slice(0, max);
}

export function mergePurchases(current: readonly string[], events: readonly UserEvent[]): string[] {
  const bought = events
    .filter((e) => e.type === 'purchase')
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime())
    .map((e) => e.itemId);
  return [...new Set([...bought, ...current])];
}

/** The state after `events` (interactions stored for the first time) are applied. */
export function applyInteractions(
  state: UserState,
  events: readonly UserEvent[],
  max: number,
  now: Date,
): UserState {
  return {
    ...state,
    recentItems: mergeRecentItems(
      state.recentItems,
      events.map((e) => ({ itemId: e.itemId, type: e.type, at: e.occurredAt })),
      max,
    ),
    purchasedItemIds: mergePurchases(state.purchasedItemIds, events),
    interactionCount: state.interactionCount + events.length,
    updatedAt: now,
  };
}
