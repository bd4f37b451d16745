import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './durations';

describe('durations', () => {
  it('parses every unit', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration(' 1h ')).toBe(3_600_000);
    expect(parseDuration('2d')).toBe(172_800_000);
  });

  it('rejects what is not a duration, naming it', () => {
    for (const bad of ['', '5', 'm5', '1.5h', '-5m', '5 minutes', '5M']) {
      expect(() => parseDuration(bad)).toThrow(/is not a duration/);
    }
  });

  it('formats to the largest exact unit, so equal sizes get one label', () => {
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(parseDuration('60m'))).toBe('1h');
    expect(formatDuration(5_400_000)).toBe('90m');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(formatDuration(86_400_000)).toBe('1d');
  });
});
