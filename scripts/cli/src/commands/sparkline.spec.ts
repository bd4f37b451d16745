import { describe, expect, it } from 'vitest';
import { finiteRange, sparkline } from './sparkline';

describe('sparkline', () => {
  it('draws a falling loss from the highest block to the lowest', () => {
    expect(sparkline([8, 7, 6, 5, 4, 3, 2, 1])).toBe('█▇▆▅▄▃▂▁');
  });

  it('shows non-finite values as gaps and scales on the finite ones', () => {
    expect(sparkline([1, Number.NaN, 3, Number.POSITIVE_INFINITY, 2])).toBe('▁ █ ▅');
    expect(sparkline([Number.NaN, Number.NaN])).toBe('  ');
    expect(finiteRange([Number.NaN, Number.NEGATIVE_INFINITY])).toBeUndefined();
  });

  it('resamples a long series to the width, each cell the mean of its values', () => {
    const line = sparkline(
      Array.from({ length: 100 }, (_, i) => i),
      10,
    );
    expect(line).toHaveLength(10);
    expect(line[0]).toBe('▁');
    expect(line[9]).toBe('█');
  });

  it('draws runs of a comparison on one shared scale', () => {
    const a = [1, 2];
    const b = [3, 4];
    const range = finiteRange(a, b);
    expect(sparkline(a, 8, range)).toBe('▁▃');
    expect(sparkline(b, 8, range)).toBe('▆█');
    expect(sparkline([5, 5, 5])).toBe('▄▄▄');
  });
});
