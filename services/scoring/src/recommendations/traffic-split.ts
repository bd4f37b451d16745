// Which version answers a request. The A/B share is sticky per user: the bucket is a hash of the
// user's pseudonym, so a user sees one variant for the whole experiment (and the same in every
// replica); the shadow mirror is a per-request coin toss, as it never changes what the user sees.
import { createHash } from 'node:crypto';

/** The user's position in [0, 1), stable across requests, replicas and restarts. */
export function userBucket(pseudonym: string): number {
  return createHash('sha256').update(`recs-split\u0000${pseudonym}`).digest().readUInt32BE(0) / 2 ** 32;
}

export const inStagingShare = (pseudonym: string, share: number): boolean =>
  share > 0 && userBucket(pseudonym) < share;

export const mirrorToShadow = (share: number, random: () => number = Math.random): boolean =>
  share > 0 && random() < share;

/** The share of the served items the other list also holds (1 for two empty lists). */
export function overlap(served: readonly string[], other: readonly string[]): number {
  if (served.length === 0) return other.length === 0 ? 1 : 0;
  const set = new Set(other);
  return served.filter((id) => set.has(id)).length / served.length;
}
