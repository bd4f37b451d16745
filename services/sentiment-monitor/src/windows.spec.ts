import { describe, expect, it } from 'vitest';
import { assignWindows, isClosable, parseWindowSizes, windowStartOf } from './windows';

const at = (iso: string): number => Date.parse(iso);
const M = 60_000;

describe('window sizes', () => {
  it('parses, canonicalizes, dedupes and sorts', () => {
    expect(parseWindowSizes('1h, 5m,60m')).toEqual([
      { label: '5m', ms: 5 * M },
      { label: '1h', ms: 60 * M },
    ]);
  });

  it('rejects bad or out-of-range sizes', () => {
    expect(() => parseWindowSizes('5x')).toThrow(/not a duration/);
    expect(() => parseWindowSizes('500ms')).toThrow(/between 1s and 1d/);
    expect(() => parseWindowSizes('2d')).toThrow(/between 1s and 1d/);
    expect(() => parseWindowSizes(' , ')).toThrow(/at least one/);
  });
});

describe('window assignment', () => {
  const sizes = parseWindowSizes('5m,1h');

  it('puts an event in the epoch-aligned window of each size', () => {
    expect(assignWindows(at('2026-03-02T10:07:30Z'), sizes)).toEqual([
      { size: '5m', start: at('2026-03-02T10:05:00Z'), end: at('2026-03-02T10:10:00Z') },
      { size: '1h', start: at('2026-03-02T10:00:00Z'), end: at('2026-03-02T11:00:00Z') },
    ]);
  });

  it('treats the start as inclusive and the end as exclusive', () => {
    expect(windowStartOf(at('2026-03-02T10:05:00Z'), 5 * M)).toBe(at('2026-03-02T10:05:00Z'));
    expect(windowStartOf(at('2026-03-02T10:04:59.999Z'), 5 * M)).toBe(at('2026-03-02T10:00:00Z'));
  });

  it('is the same for events before 1970 (floor, not truncation)', () => {
    expect(windowStartOf(-1, 5 * M)).toBe(-5 * M);
  });

  it('closes a window once the watermark reaches end + lateness', () => {
    const end = at('2026-03-02T10:10:00Z');
    expect(isClosable(end, undefined, 10 * M)).toBe(false);
    expect(isClosable(end, end + 10 * M - 1, 10 * M)).toBe(false);
    expect(isClosable(end, end + 10 * M, 10 * M)).toBe(true);
  });
});
