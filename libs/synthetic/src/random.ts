// Seeded randomness, the one source of it for data shuffling, sampling and synthetic data, so
// training runs, evaluations and generated data are reproducible.

/** mulberry32: a small, fast 32-bit PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates on a copy. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const rand = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Splits into (train, test) with a seeded shuffle. */
export function seededSplit<T>(
  items: readonly T[],
  testFraction: number,
  seed: number,
): { train: T[]; test: T[] } {
  const shuffled = seededShuffle(items, seed);
  const nTest = Math.round(shuffled.length * testFraction);
  return { test: shuffled.slice(0, nTest), train: shuffled.slice(nTest) };
}

/**
 * Splits into (train, test) keeping each class's share in both (for classification data): every
 * class is shuffled with the seed and gives its quota of test items; quotas are the class's share of
 * round(n · testFraction), rounded by largest remainder so they add up to it exactly. Both parts come
 * back in a seeded shuffled order.
 */
export function stratifiedSplit<T>(
  items: readonly T[],
  testFraction: number,
  seed: number,
  classOf: (item: T) => string | number,
): { train: T[]; test: T[] } {
  const classes = new Map<string | number, T[]>();
  for (const item of items) {
    const key = classOf(item);
    const members = classes.get(key) ?? [];
    members.push(item);
    classes.set(key, members);
  }
  const total = Math.round(items.length * testFraction);
  const groups = [...classes.values()].map((members) => {
    const exact = (members.length * total) / Math.max(1, items.length);
    return { members, quota: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let left = total - groups.reduce((sum, g) => sum + g.quota, 0);
  for (const g of [...groups].sort((a, b) => b.remainder - a.remainder)) {
    if (left <= 0) break;
    g.quota++;
    left--;
  }
  const train: T[] = [];
  const test: T[] = [];
  groups.forEach((g, i) => {
    const shuffled = seededShuffle(g.members, seed + i);
    test.push(...shuffled.slice(0, g.quota));
    train.push(...shuffled.slice(g.quota));
  });
  return { train: seededShuffle(train, seed), test: seededShuffle(test, seed + 1) };
}
