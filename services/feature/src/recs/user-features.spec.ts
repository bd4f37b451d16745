import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InteractionTypeName } from './interaction-records';
import {
  applyInteractions,
  mergePurchases,
  mergeRecentItems,
  type RecentItem,
  type UserState,
} from './user-features';

const at = (minute: number): Date => new Date(Date.UTC(2026, 2, 1, 0, minute));
const item = (itemId: string, minute: number, type: InteractionTypeName = 'view'): RecentItem => ({
  itemId,
  type,
  at: at(minute),
});

describe('recent items merge', () => {
  it('keeps each item once at its latest interaction, most recent first, at most max', () => {
    const merged = mergeRecentItems(
      [item('a', 5), item('b', 3)],
      [item('b', 9, 'cart'), item('c', 1), item('d', 7)],
      3,
    );
    expect(merged).toEqual([item('b', 9, 'cart'), item('d', 7), item('a', 5)]);
  });

  it('ignores a late interaction older than the item’s entry, and prefers the stronger type at a tie', () => {
    expect(mergeRecentItems([item('a', 5, 'click')], [item('a', 2, 'purchase')], 10)).toEqual([
      item('a', 5, 'click'),
    ]);
    expect(mergeRecentItems([item('a', 5, 'view')], [item('a', 5, 'purchase')], 10)).toEqual([
      item('a', 5, 'purchase'),
    ]);
  });

  it('gives the same list whatever the order and batching of the interactions', () => {
    const event = fc.record({
      itemId: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      minute: fc.integer({ min: 0, max: 50 }),
      type: fc.constantFrom<InteractionTypeName>('view', 'click', 'cart', 'purchase', 'rating'),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (events, cut) => {
        const items = events.map((e) => item(e.itemId, e.minute, e.type));
        const once = mergeRecentItems([], items, 4);
        const twice = mergeRecentItems(mergeRecentItems([], items.slice(0, cut), 4), items.slice(cut), 4);
        const reversed = mergeRecentItems([], [...items].reverse(), 4);
        expect(twice).toEqual(once);
        expect(reversed).toEqual(once);
        expect(new Set(once.map((i) => i.itemId)).size).toBe(once.length);
        expect(once.length).toBeLessThanOrEqual(4);
      }),
    );
  });
});

describe('user state update', () => {
  it('adds purchases once, newest first, and counts the interactions', () => {
    expect(
      mergePurchases(
        ['x'],
        [
          { itemId: 'y', type: 'purchase', occurredAt: at(1) },
          { itemId: 'x', type: 'purchase', occurredAt: at(2) },
          { itemId: 'z', type: 'view', occurredAt: at(3) },
        ],
      ),
    ).toEqual(['x', 'y']);
    const state: UserState = {
      tenantId: 't',
      userId: 'u',
      recentItems: [item('a', 1)],
      purchasedItemIds: [],
      interactionCount: 4,
      createdAt: at(0),
      updatedAt: at(1),
    };
    const next = applyInteractions(state, [{ itemId: 'b', type: 'purchase', occurredAt: at(2) }], 50, at(9));
    expect(next).toEqual({
      ...state,
      recentItems: [item('b', 2, 'purchase'), item('a', 1)],
      purchasedItemIds: ['b'],
      interactionCount: 5,
      updatedAt: at(9),
    });
  });
});
