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
