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

  it('grows with zero rows that score the base, keeping the existing rows', () => {
    const { matrix, query } = filled(6, 32, 4);
    const before = Array.from(matrix.scores(query, 0));
    const grown = matrix.grown(11);
    const after = grown.scores(query, 0);
    expect(after).toHaveLength(11);
    for (let i = 0; i < 6; i++) expect(after[i]).toBeCloseTo(before[i] as number, 6);
    for (let i = 6; i < 11; i++) expect(after[i]).toBe(0);
  });

  it('keeps separate matrices apart', () => {
    const a = filled(8, 32, 5);
    const b = filled(8, 32, 6);
    const fromA = Array.from(a.matrix.scores(a.query, 0));
    b.matrix.scores(b.query, 0);
    expect(Array.from(a.matrix.scores(a.query, 0))).toEqual(fromA);
  });
});
