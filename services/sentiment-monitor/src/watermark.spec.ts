import { describe, expect, it } from 'vitest';
import { classifyByWatermark } from './watermark';
import { assignWindows, isClosable, parseWindowSizes } from './windows';

const M = 60_000;
const t = (minute: number): number => Date.UTC(2026, 2, 2, 10, 0) + minute * M;

describe('lateness against the watermark', () => {
  it('accepts out-of-order records within the allowed lateness', () => {
    const r = classifyByWatermark([t(20), t(12), t(25), t(16)], (x) => x, undefined, 10 * M);
    expect(r.onTime).toEqual([t(20), t(12), t(25), t(16)]);
    expect(r.late).toEqual([]);
    expect(r.watermark).toBe(t(25));
  });

  it('drops a record more than the lateness behind the watermark seen so far', () => {
    const r = classifyByWatermark([t(30), t(19), t(20), t(31)], (x) => x, undefined, 10 * M);
    expect(r.onTime).toEqual([t(30), t(20), t(31)]);
    expect(r.late).toEqual([{ item: t(19), watermark: t(30) }]);
    expect(r.watermark).toBe(t(31));
  });

  it('starts from the stored watermark', () => {
    const r = classifyByWatermark([t(5)], (x) => x, t(40), 10 * M);
    expect(r.late).toHaveLength(1);
    expect(r.watermark).toBe(t(40));
  });

  it('gives the same outcome however the stream is cut into batches', () => {
    const stream = [t(3), t(14), t(2), t(9), t(30), t(21), t(18), t(33), t(22)];
    const whole = classifyByWatermark(stream, (x) => x, undefined, 10 * M);
    let wm: number | undefined;
    const late: number[] = [];
    for (const batch of [stream.slice(0, 2), stream.slice(2, 5), stream.slice(5)]) {
      const r = classifyByWatermark(batch, (x) => x, wm, 10 * M);
      wm = r.watermark;
      late.push(...r.late.map((l) => l.item));
    }
    expect(late).toEqual(whole.late.map((l) => l.item));
    expect(late).toEqual([t(2), t(18), t(22)]);
    expect(wm).toBe(whole.watermark);
  });

  it('never sends an on-time record to a window that is already closable', () => {
    const sizes = parseWindowSizes('5m,1h');
    const lateness = 10 * M;
    const stream = Array.from({ length: 500 }, (_, i) => t(i / 3 + ((i * 7919) % 37) - 18));
    let wm: number | undefined;
    for (const x of stream) {
      const r = classifyByWatermark([x], (v) => v, wm, lateness);
      for (const accepted of r.onTime) {
        for (const w of assignWindows(accepted, sizes)) expect(isClosable(w.end, wm, lateness)).toBe(false);
      }
      wm = r.watermark;
    }
  });
});
