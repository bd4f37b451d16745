// The K best (id, score) pairs of a stream, best first, in two parallel typed arrays: a sorted array
// of K beats a heap for the small K of recommendation lists and index cells. Typed arrays only: the
// same function over plain arrays and typed arrays made its element accesses megamorphic, and the
// index's choice of cells several times slower (a third of a request's CPU at 100,000 items).

/**
 * Puts (id, score) among the `size` best kept in `ids`/`scores` (at most `k`), best first, when it
 * beats the K-th; returns the new size. Ties keep the earlier entry first.
 */
export function insertBest(
  ids: Int32Array,
  scores: Float32Array,
  size: number,
  k: number,
  id: number,
  score: number,
): number {
  if (size === k && score <= (scores[k - 1] as number)) return size;
  let p = size === k ? k - 1 : size++;
  while (p > 0 && (scores[p - 1] as number) < score) {
    scores[p] = scores[p - 1] as number;
    ids[p] = ids[p - 1] as number;
    p--;
  }
  scores[p] = score;
  ids[p] = id;
  return size;
}
