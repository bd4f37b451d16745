import { describe, expect, it } from 'vitest';
import { chunkBySize } from './producer';

describe('chunkBySize', () => {
  it('keeps order, fills chunks up to the budget, and sends an oversized item alone', () => {
    expect(chunkBySize([3, 3, 3, 10, 1, 1], (n) => n, 6)).toEqual([[3, 3], [3], [10], [1, 1]]);
    expect(chunkBySize([4, 4, 4, 1, 9, 2], (n) => n, 8)).toEqual([[4, 4], [4, 1], [9], [2]]);
    expect(chunkBySize([], (n: number) => n, 6)).toEqual([]);
  });
});
