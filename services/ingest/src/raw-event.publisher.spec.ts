import { describe, expect, it } from 'vitest';
import { chunkBySize } from './raw-event.publisher';

describe('chunkBySize', () => {
  it('keeps order and splits before a chunk would exceed the limit', () => {
    expect(chunkBySize([4, 4, 4, 1, 9, 2], (n) => n, 8)).toEqual([[4, 4], [4, 1], [9], [2]]);
  });

  it('returns no chunks for no items', () => {
    expect(chunkBySize([], () => 1, 8)).toEqual([]);
  });
});
