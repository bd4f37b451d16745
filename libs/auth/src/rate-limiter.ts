// Token buckets per credential: each credential may send `rps` requests a second on average and
// `burst` at once. One Map lookup and a little arithmetic per request, so it costs nothing on the
// recommendations hot path. Buckets are per process: with N replicas a credential gets N times the
// rate, which is the usual trade for not paying a network round trip per request.
export interface RateLimit {
  /** Sustained requests per second; 0 turns limiting off for the credential. */
  rps: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

const MAX_BUCKETS = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one token: 0 when allowed, else the whole seconds to wait before the next one. */
  take(credential: string, limit: RateLimit): number {
    if (limit.rps <= 0) return 0;
    const now = this.now();
    let bucket = this.buckets.get(credential);
    if (!bucket) {
      // Forget the oldest credential rather than grow without bound (a flood of distinct JWT subjects).
      if (this.buckets.size >= MAX_BUCKETS) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      bucket = { tokens: limit.burst, updatedMs: now };
      this.buckets.set(credential, bucket);
    } else {
      bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.updatedMs) / 1000) * limit.rps);
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.rps));
  }
}
