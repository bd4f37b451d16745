import { describe, expect, it } from 'vitest';
import { seededRandom } from '@mercato/synthetic';
import { ItemMatrix, scoresInJs } from './item-matrix';

function filled(rows: number, dim: number, seed: number): { matrix: ItemMatrix; query: Float32Array } {
  const random = seededRandom(seed);
  const matrix = new ItemMatrix(rows, dim);
  for (let i = 0; i < rows * dim; i++) matrix.vectors[i] = random() * 2 - 1;
  for (let i = 0; i < rows; i++) matrix.bias[i] = random() - 0.5;
  const query = Float32Array.from({ length: dim }, () => random() * 2 - 1);
  return { matrix, query };
}

describe('ItemMatrix', () => {
  // Row counts around the kernel's step of 4 and vector lengths on both paths (SIMD: multiples of 4).
  for (const [rows, dim] of [
    [1, 4],
    [3, 32],
    [4, 32],
    [5, 8],
    [1001, 32],
    [10_000, 64],
    [7, 6],
    [13, 33],
  ] as const) {
    it(`scores ${rows} rows of ${dim} as the reference loop does`, () => {
      const { matrix, query } = filled(rows, dim, rows * 31 + dim);
      const expected = scoresInJs(query, 0.25, matrix.vectors, matrix.bias, rows, dim);
      const actual = matrix.scores(query, 0.25);
      expect(actual).toHaveLength(rows);
      for (let i = 0; i < rows; i++) expect(actual[i]).toBeCloseTo(expected[i] as number, 4);
    });
  }

  it('scores bias only without a vector', () => {
    const { matrix } = filled(9, 32, 3);
    const scores = matrix.scores(undefined, 1);
    for (let i = 0; i < 9; i++) expect(scores[i]).toBeCloseTo(1 + (matrix.bias[i] as number), 6);
  });

  for (const dim of [32, 6])
    it(`grows (dim ${dim}) with zero rows that score the base, keeping the existing rows`, () => {
      const { matrix, query } = filled(6, dim, 4);
      const before = Array.from(matrix.scores(query, 0));
      const roomy = matrix.resized(11);
      expect(roomy).not.toBe(matrix);
      expect(roomy.capacity).toBe(11);
      const after = roomy.scores(query, 0);
      expect(after).toHaveLength(11);
      for (let i = 0; i < 6; i++) expect(after[i]).toBeCloseTo(before[i] as number, 6);
      for (let i = 6; i < 11; i++) expect(after[i]).toBe(0);
      // Within its capacity a matrix grows in place; past it, by half as much again.
      roomy.vectors.fill(0.5, 6 * dim);
      expect(roomy.resized(11)).toBe(roomy);
      const larger = roomy.resized(12);
      expect(larger.capacity).toBe(17);
      expect(larger.vectors[11 * dim - 1]).toBe(0.5);
      expect(larger.scores(query, 0)[11]).toBe(0);
    });

  it('scores listed rows as the full scan does, in the order listed', () => {
    for (const dim of [32, 6]) {
      const { matrix, query } = filled(50, dim, 9);
      const all = Array.from(matrix.scores(query, 0.5));
      const rows = [49, 3, 3, 17, 0];
      const listed = matrix.scoresAt(query, 0.5, Int32Array.from(rows), rows.length);
      rows.forEach((row, k) => expect(listed[k]).toBeCloseTo(all[row] as number, 5));
      const biasOnly = matrix.scoresAt(undefined, 1, Int32Array.from(rows), 2);
      expect(biasOnly[1]).toBeCloseTo(1 + (matrix.bias[3] as number), 6);
    }
  });

  it('keeps separate matrices apart', () => {
    const a = filled(8, 32, 5);
    const b = filled(8, 32, 6);
    const fromA = Array.from(a.matrix.scores(a.query, 0));
    b.matrix.scores(b.query, 0);
    expect(Array.from(a.matrix.scores(a.query, 0))).toEqual(fromA);
  });
});
