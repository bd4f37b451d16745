import { describe, expect, it } from 'vitest';
import { dayKey, partitionDays } from './article-partitions.repository';

describe('partitionDays', () => {
  const now = new Date('2026-03-10T15:00:00Z');

  it('lists each UTC day once, sorted', () => {
    expect(
      partitionDays(
        [
          new Date('2026-03-10T23:59:59.999Z'),
          new Date('2026-03-09T00:00:00Z'),
          new Date('2026-03-10T00:00:00Z'),
          new Date('2026-03-09T12:00:00+05:00'),
        ],
        now,
        30,
      ),
    ).toEqual(['20260309', '20260310']);
  });

  it('keeps days from pastDays ago to two days ahead, and leaves the rest to the default partition', () => {
    const days = partitionDays(
      [
        new Date('2026-02-08T10:00:00Z'), // 30 days back: kept
        new Date('2026-02-07T23:00:00Z'), // 31 days back: default
        new Date('2026-03-12T22:00:00Z'), // two days ahead: kept
        new Date('2026-03-13T00:00:00Z'), // three days ahead: default
        new Date('1970-01-01T00:00:00Z'),
        new Date('9999-01-01T00:00:00Z'),
      ],
      now,
      30,
    );
    expect(days).toEqual(['20260208', '20260312']);
  });
});

describe('dayKey', () => {
  it('is the UTC date without separators', () => {
    expect(dayKey(new Date('2026-01-02T23:30:00-02:00'))).toBe('20260103');
  });
});
