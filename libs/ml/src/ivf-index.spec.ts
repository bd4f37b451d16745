import { describe, expect, it } from 'vitest';
import { seededRandom } from '@mercato/synthetic';
import { IvfIndex, NonFiniteRowError } from './ivf-index';
import { ItemMatrix, scoresInJs } from './kernels/item-matrix';

/** Rows around `clusters` centres (item vectors cluster by kind), biases spread like popularity. */
function clustered(rows: number, dim: number, seed: number, clusters = 40): ItemMatrix {
  const random = seededRandom(seed);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => random() * 2 - 1));
  const matrix = new ItemMatrix(rows, dim);
  for (let i = 0; i < rows; i++) {
    const centre = centres[i % clusters] as number[];
    for (let j = 0; j < dim; j++)
      matrix.vectors[i * dim + j] = (centre[j] as number) + (random() - 0.5) * 0.5;
    matrix.bias[i] = (random() - 0.5) * 0.5;
  }
  return matrix;
}

const queries = (count: number, dim: number, seed: number): Float32Array[] => {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: dim }, () => random() * 2 - 1));
};

/** The exact top K rows passing `keep`, best first. */
function exactTop(
  matrix: ItemMatrix,
  query: Float32Array | undefined,
  k: number,
  keep = (_row: number) => true,
): number[] {
  const scores = query
    ? scoresInJs(query, 0, matrix.vectors, matrix.bias, matrix.rows, matrix.dim)
    : Float32Array.from(matrix.bias);
  return Array.from({ length: matrix.rows }, (_, i) => i)
    .filter(keep)
    .sort((a, b) => (scores[b] as number) - (scores[a] as number))
    .slice(0, k);
}

const recall = (found: ArrayLike<number>, expected: number[]): number => {
  const set = new Set(expected);
  return Array.from(found).filter((r) => set.has(r)).length / expected.length;
};

describe('IvfIndex', () => {
  for (const dim of [32, 6])
    it(`finds the exact top 10 for almost every query (dim ${dim}), with exact scores`, () => {
      const matrix = clustered(6_000, dim, dim);
      const index = IvfIndex.build(matrix, { probe: 16 });
      expect(index.lists).toBe(Math.round(Math.sqrt(6_000)));
      let total = 0;
      for (const query of queries(50, dim, 3)) {
        const { rows, scores } = index.search(matrix, query, 0.5, 10);
        expect(rows).toHaveLength(10);
        const exact = scoresInJs(query, 0.5, matrix.vectors, matrix.bias, matrix.rows, dim);
        rows.forEach((row, p) => expect(scores[p]).toBeCloseTo(exact[row] as number, 4));
        for (let p = 1; p < scores.length; p++)
          expect(scores[p]).toBeLessThanOrEqual(scores[p - 1] as number);
        total += recall(rows, exactTop(matrix, query, 10));
      }
      expect(total / 50).toBeGreaterThanOrEqual(0.95);
    });

  it('ranks by bias alone, exactly, without a query vector', () => {
    const matrix = clustered(3_000, 32, 5);
    const index = IvfIndex.build(matrix);
    const { rows, scores } = index.search(matrix, undefined, 1, 10);
    expect(Array.from(rows)).toEqual(exactTop(matrix, undefined, 10));
    expect(scores[0]).toBeCloseTo(1 + (matrix.bias[rows[0] as number] as number), 6);
    const withinRows = Int32Array.from({ length: 300 }, (_, i) => i * 10);
    const filtered = index.search(matrix, undefined, 0, 10, { withinRows });
    expect(Array.from(filtered.rows)).toEqual(exactTop(matrix, undefined, 10, (row) => row % 10 === 0));
  });

  it('applies every filter while searching and still returns K items', () => {
    const matrix = clustered(5_000, 32, 7);
    const index = IvfIndex.build(matrix, { probe: 8 });
    const query = queries(1, 32, 8)[0] as Float32Array;
    const allowed = Uint8Array.from({ length: 5_000 }, (_, i) => (i % 10 === 3 ? 1 : 0));
    const withinRows = Int32Array.from({ length: 250 }, (_, i) => i * 20 + 3);
    const excluded = new Set([3, 23, 43]);
    const accept = (row: number): boolean => row % 40 !== 3;
    const { rows } = index.search(matrix, query, 0, 10, {
      allowed,
      allowedShare: 0.1,
      withinRows,
      excluded,
      accept,
    });
    expect(rows).toHaveLength(10);
    for (const row of rows) {
      expect(allowed[row]).toBe(1);
      expect(row % 20).toBe(3);
      expect(excluded.has(row)).toBe(false);
      expect(accept(row)).toBe(true);
    }
    const keep = (row: number): boolean => row % 20 === 3 && !excluded.has(row) && accept(row);
    expect(recall(rows, exactTop(matrix, query, 10, keep))).toBeGreaterThanOrEqual(0.9);
  });

  it('finds the top 10 of a category spread over every cell, reading subsetWiden × probe cells of it', () => {
    const matrix = clustered(8_000, 32, 13);
    const index = IvfIndex.build(matrix, { probe: 8 });
    // One item in eight, whatever its cluster: a category unrelated to the vectors' clusters.
    const withinRows = Int32Array.from({ length: 1_000 }, (_, i) => i * 8 + 5);
    let total = 0;
    for (const query of queries(30, 32, 14)) {
      const { rows } = index.search(matrix, query, 0, 10, { withinRows });
      total += recall(
        rows,
        exactTop(matrix, query, 10, (row) => row % 8 === 5),
      );
    }
    expect(total / 30).toBeGreaterThanOrEqual(0.95);
    expect(() => IvfIndex.build(matrix, { subsetWiden: 0 })).toThrow(/subsetWiden above 0/);
  });

  it('returns every passing row when fewer than K pass, wherever they are', () => {
    const matrix = clustered(4_000, 32, 9);
    const index = IvfIndex.build(matrix, { probe: 1 });
    const withinRows = Int32Array.of(17, 1_234, 3_999);
    const { rows } = index.search(matrix, queries(1, 32, 10)[0], 0, 10, { withinRows });
    expect([...rows].sort((a, b) => a - b)).toEqual([17, 1_234, 3_999]);
    expect(index.search(matrix, undefined, 0, 5, { withinRows: new Int32Array(0) }).rows).toHaveLength(0);
  });

  it('indexes rows added after the build, and lays them out once they are many', () => {
    let matrix = clustered(3_000, 32, 11);
    const index = IvfIndex.build(matrix);
    const query = queries(1, 32, 12)[0] as Float32Array;
    matrix = matrix.resized(3_001);
    matrix.vectors.set(query, 3_000 * 32);
    matrix.bias[3_000] = 5;
    index.add(matrix);
    expect(index.rows).toBe(3_001);
    expect(index.pendingRows).toBe(1);
    expect(index.search(matrix, query, 0, 10).rows[0]).toBe(3_000);
    expect(Array.from(index.search(matrix, undefined, 0, 10).rows)).toEqual(exactTop(matrix, undefined, 10));
    matrix.bias[3_000] = -5;
    expect(Array.from(index.search(matrix, undefined, 0, 10).rows)).toEqual(exactTop(matrix, undefined, 10));
    matrix.bias[3_000] = 5;
    // Past 1,024 added rows (or 5% of the laid-out ones) the codes are laid out again.
    const more = clustered(1_100, 32, 13);
    matrix = matrix.resized(4_101);
    matrix.vectors.set(more.vectors, 3_001 * 32);
    matrix.bias.set(more.bias, 3_001);
    index.add(matrix);
    expect(index.pendingRows).toBe(0);
    expect(index.rows).toBe(4_101);
    expect(index.search(matrix, query, 0, 10).rows[0]).toBe(3_000);
    let total = 0;
    for (const q of queries(30, 32, 14))
      total += recall(index.search(matrix, q, 0, 10).rows, exactTop(matrix, q, 10));
    expect(total / 30).toBeGreaterThanOrEqual(0.9);
  });

  it('refuses to build over a vector that is not finite, naming the row', () => {
    const matrix = clustered(500, 32, 15);
    matrix.vectors[77 * 32 + 5] = Number.NaN;
    expect(() => IvfIndex.build(matrix)).toThrow(NonFiniteRowError);
    expect(() => IvfIndex.build(matrix)).toThrow(/row 77/);
  });

  it('reports the memory it holds', () => {
    const matrix = clustered(20_000, 32, 16);
    const index = IvfIndex.build(matrix);
    // Codes (32 bytes a row), scale and bias (4 + 4), order (4) and cell (4): about 48 bytes a row.
    expect(index.memoryBytes).toBeGreaterThan(20_000 * 44);
    expect(index.memoryBytes).toBeLessThan(20_000 * 64);
  });
});
