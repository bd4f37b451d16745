import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter';

describe('RateLimiter', () => {
  it('allows the burst at once, then the sustained rate, and says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    const limit = { rps: 2, burst: 3 };
    expect([1, 2, 3, 4].map(() => limiter.take('a', limit))).toEqual([0, 0, 0, 1]);
    now += 500; // one token back at 2/s
    expect(limiter.take('a', limit)).toBe(0);
    expect(limiter.take('a', limit)).toBe(1);
    expect(limiter.take('b', limit)).toBe(0);
  });

  it('waits whole seconds at a slow rate and never limits a zero rate', () => {
    const limiter = new RateLimiter(() => 0);
    const slow = { rps: 0.25, burst: 1 };
    expect(limiter.take('a', slow)).toBe(0);
    expect(limiter.take('a', slow)).toBe(4);
    expect(
      Array.from({ length: 1000 }, () => limiter.take('c', { rps: 0, burst: 1 })).every((w) => w === 0),
    ).toBe(true);
  });
});
