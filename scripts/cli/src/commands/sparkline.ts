// Terminal sparklines for `mercato runs`: a series as one line of block characters, resampled to a
// width, on a given scale so the runs of a comparison share one. Non-finite values (a NaN loss) are
// gaps (spaces), never a crash or a fake value. Written here, not taken from a package: the ones on
// npm (sparkly, sparkline) drop or throw on NaN and have no shared scale or resampling.

const BLOCKS = '▁▂▃▄▅▆▇█';

/** The smallest and largest finite values of any of the series (undefined when none is finite). */
export function finiteRange(...series: number[][]): { lo: number; hi: number } | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of series)
    for (const v of values)
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
  return lo <= hi ? { lo, hi } : undefined;
}

/**
 * `values` in at most `width` characters: each character the mean of the finite values that fall in
 * it (a space when none does), scaled between `range.lo` (▁) and `range.hi` (█).
 */
export function sparkline(
  values: number[],
  width = 32,
  range: { lo: number; hi: number } | undefined = finiteRange(values),
): string {
  if (values.length === 0) return '';
  const cells = Math.min(width, values.length);
  let line = '';
  for (let c = 0; c < cells; c++) {
    const from = Math.floor((c * values.length) / cells);
    const to = Math.floor(((c + 1) * values.length) / cells);
    const finite = values.slice(from, to).filter(Number.isFinite);
    if (finite.length === 0 || !range) {
      line += ' ';
      continue;
    }
    const v = finite.reduce((s, x) => s + x, 0) / finite.length;
    const span = range.hi - range.lo;
    const level = span > 0 ? Math.round(((v - range.lo) / span) * (BLOCKS.length - 1)) : 3;
    line += BLOCKS[Math.min(BLOCKS.length - 1, Math.max(0, level))];
  }
  return line;
}
