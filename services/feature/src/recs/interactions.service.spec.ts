import { describe, expect, it } from 'vitest';
import type { InteractionRow } from './interaction-records';
import { planUpdate } from './interactions.service';
import { HOUR_MS } from './popularity';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const row = (
  userId: string,
  itemId: string,
  type: InteractionRow['type'],
  minute: number,
): InteractionRow => ({
  tenantId: 't',
  interactionId: `${userId}-${itemId}-${minute}`,
  userId,
  itemId,
  type,
  value: 1,
  occurredAt: new Date(T0 + minute * 60_000),
  receivedAt: new Date(T0 + minute * 60_000),
  eventId: `${userId}-${itemId}-${minute}`,
  brokerMs: T0,
});

describe('planUpdate', () => {
  it('builds one new state per user and one popularity contribution per item', () => {
    const now = new Date(T0 + HOUR_MS);
    const plan = planUpdate(
      [row('u1', 'a', 'view', 1), row('u1', 'b', 'purchase', 2), row('u2', 'a', 'click', 3)],
      new Map(),
      50,
      { popularMs: 168 * HOUR_MS, trendingMs: 6 * HOUR_MS },
      now,
    );
    expect(plan.users.map((u) => [u.userId, u.interactionCount, u.purchasedItemIds])).toEqual([
      ['u1', 2, ['b']],
      ['u2', 1, []],
    ]);
    const a = plan.popularity.find((p) => p.itemId === 'a');
    expect(a?.score.referenceMs).toBe(T0 + 3 * 60_000);
    expect(a?.score.popular).toBeCloseTo(2 + 2 ** (-(2 * 60_000) / (168 * HOUR_MS)), 12);
    expect(plan.popularity.find((p) => p.itemId === 'b')?.score.popular).toBe(8);
  });
});
