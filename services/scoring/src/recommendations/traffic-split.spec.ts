import { describe, expect, it } from 'vitest';
import { inStagingShare, mirrorToShadow, overlap, userBucket } from './traffic-split';

describe('traffic split', () => {
  it('puts each user in a stable bucket, spread evenly', () => {
    const users = Array.from({ length: 4000 }, (_, i) => `user-${i}`);
    expect(users.map(userBucket)).toEqual(users.map(userBucket));
    const staged = users.filter((u) => inStagingShare(u, 0.3)).length / users.length;
    expect(staged).toBeGreaterThan(0.27);
    expect(staged).toBeLessThan(0.33);
    expect(users.some((u) => inStagingShare(u, 0))).toBe(false);
    expect(users.every((u) => inStagingShare(u, 1))).toBe(true);
  });

  it('mirrors to shadow by share', () => {
    expect(mirrorToShadow(0, () => 0)).toBe(false);
    expect(mirrorToShadow(0.5, () => 0.49)).toBe(true);
    expect(mirrorToShadow(0.5, () => 0.5)).toBe(false);
  });

  it('measures the overlap of the served list with another', () => {
    expect(overlap(['a', 'b', 'c', 'd'], ['d', 'x', 'a'])).toBe(0.5);
    expect(overlap([], [])).toBe(1);
    expect(overlap([], ['a'])).toBe(0);
  });
});
