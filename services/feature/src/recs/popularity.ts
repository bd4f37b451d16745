// Item popularity with exponential time decay, computed exactly rather than by a periodic job: a
// score s with reference time r is worth s * 2^(-(t - r) / halfLife) at any time t >= r. Two scores
// with the same half-life combine exactly by moving both to the later reference time, so events can
// be folded in any order (late or redelivered-once records included) and give the same result.
// The store applies the same combination in SQL (interaction-store.repository.ts).
import type { InteractionTypeName } from './interaction-records';

export interface Popularity {
  popular: number;
  trending: number;
  referenceMs: number;
}

export interface HalfLives {
  popularMs: number;
  trendingMs: number;
}

export const HOUR_MS = 60 * 60 * 1000;

/** Beyond 60 half-lives (a factor below 1e-18) a score counts as zero; this also keeps float math finite. */
export const MAX_HALF_LIVES = 60;

/** How much an interaction adds to an item's popularity, by how strong a signal of interest it is. */
export const INTERACTION_WEIGHTS: Record<InteractionTypeName, number> = {
  view: 1,
  click: 2,
  rating: 3,
  cart: 4,
  purchase: 8,
};

export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  if (elapsedMs <= 0) return 1;
  if (elapsedMs > MAX_HALF_LIVES * halfLifeMs) return 0;
  return 2 ** (-elapsedMs / halfLifeMs);
}

/** Both scores as of `atMs` (not earlier than the reference time). */
export function decayedAt(p: Popularity, atMs: number, h: HalfLives): { popular: number; trending: number } {
  const elapsed = atMs - p.referenceMs;
  return {
    popular: p.popular * decayFactor(elapsed, h.popularMs),
    trending: p.trending * decayFactor(elapsed, h.trendingMs),
  };
}

export function combine(a: Popularity | undefined, b: Popularity, h: HalfLives): Popularity {
  if (!a) return b;
  const referenceMs = Math.max(a.referenceMs, b.referenceMs);
  const da = decayedAt(a, referenceMs, h);
  const db = decayedAt(b, referenceMs, h);
  return { popular: da.popular + db.popular, trending: da.trending + db.trending, referenceMs };
}

/** The popularity a batch of interactions adds, per item. */
export function batchPopularity(
  events: readonly { itemId: string; type: InteractionTypeName; occurredAt: Date }[],
  h: HalfLives,
): Map<string, Popularity> {
  const byItem = new Map<string, Popularity>();
  for (const e of events) {
    const w = INTERACTION_WEIGHTS[e.type];
    const event = { popular: w, trending: w, referenceMs: e.occurredAt.getTime() };
    byItem.set(e.itemId, combine(byItem.get(e.itemId), event, h));
  }
  return byItem;
}
