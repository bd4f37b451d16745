// Rate limits shared by every replica. Each credential's token bucket lives in Postgres (the auth
// schema's rate_buckets, a store the platform already runs); a replica takes a lease of a few tokens
// at a time (about LEASE_SECONDS of the credential's rate) in one round trip and spends it locally,
// so most requests cost a Map lookup and N replicas together admit the configured rate, not N times
// it. Leased tokens count as spent in the shared bucket: a lease left unused (its replica got no
// more requests of the credential within LEASE_TTL_MS) is dropped, which can only admit less. After
// a refusal the replica refuses locally until the shared bucket can hold a whole lease again (at
// most LEASE_SECONDS), so a flood over the limit costs about one round trip per lease, not one per
// request; tokens that build up meanwhile stay in the shared bucket for whichever replica asks. When the database cannot be reached, the replica's own
// bucket decides (the limit is then per replica again, never off).
import type { AuthQueryable } from './api-key.store';
import { RateLimiter, type RateLimit } from './rate-limiter';

/** A lease covers about this much of the credential's rate. */
const LEASE_SECONDS = 0.05;
/** Unused leased tokens are dropped after this long. */
const LEASE_TTL_MS = 1_000;
const MAX_LEASES = 100_000;

/** The shared buckets: grant up to `want` tokens of a credential's bucket. */
export interface RateBucketStore {
  take(credential: string, limit: RateLimit, want: number): Promise<{ granted: number; tokens: number }>;
}

/** rate_buckets of the auth schema, through auth.take_rate_tokens (one round trip, row-locked). */
export class PostgresRateBuckets implements RateBucketStore {
  constructor(private readonly db: AuthQueryable) {}

  async take(
    credential: string,
    limit: RateLimit,
    want: number,
  ): Promise<{ granted: number; tokens: number }> {
    const [row] = await this.db.query<{ granted: number; tokens: number }>(
      'SELECT granted, tokens FROM auth.take_rate_tokens($1, $2, $3, $4)',
      [credential, limit.burst, limit.rps, want],
    );
    if (!row) throw new Error('take_rate_tokens returned no row');
    return row;
  }
}

interface Lease {
  tokens: number;
  expiresMs: number;
  /** Refused locally until then: when the shared bucket can hold a whole lease again. */
  deniedUntilMs: number;
  /** When the shared bucket can hold one token again (what Retry-After says). */
  nextTokenMs: number;
  pending?: Promise<void>;
}

export class SharedRateLimiter {
  private readonly leases = new Map<string, Lease>();
  private readonly fallback: RateLimiter;

  constructor(
    private readonly store: RateBucketStore,
    private readonly now: () => number = Date.now,
    private readonly onStoreError: (err: unknown) => void = () => undefined,
  ) {
    this.fallback = new RateLimiter(now);
  }

  /**
   * Takes one token: 0 when allowed, else the whole seconds to wait; a Promise of either when the
   * shared bucket has to be asked.
   */
  take(credential: string, limit: RateLimit): number | Promise<number> {
    if (limit.rps <= 0) return 0;
    const lease = this.lease(credential);
    const now = this.now();
    if (lease.tokens >= 1 && now < lease.expiresMs) {
      lease.tokens -= 1;
      return 0;
    }
    if (now < lease.deniedUntilMs) return Math.max(1, Math.ceil((lease.nextTokenMs - now) / 1000));
    lease.pending ??= this.renew(credential, lease, limit).finally(() => {
      lease.pending = undefined;
    });
    return lease.pending.then(
      () => this.take(credential, limit),
      () => this.fallback.take(credential, limit),
    );
  }

  private lease(credential: string): Lease {
    let lease = this.leases.get(credential);
    if (!lease) {
      if (this.leases.size >= MAX_LEASES) {
        const oldest = this.leases.keys().next().value;
        if (oldest !== undefined) this.leases.delete(oldest);
      }
      lease = { tokens: 0, expiresMs: 0, deniedUntilMs: 0, nextTokenMs: 0 };
      this.leases.set(credential, lease);
    }
    return lease;
  }

  private async renew(credential: string, lease: Lease, limit: RateLimit): Promise<void> {
    const want = leaseSize(limit);
    let answer: { granted: number; tokens: number };
    try {
      answer = await this.store.take(credential, limit, want);
    } catch (err) {
      this.onStoreError(err);
      throw err;
    }
    const now = this.now();
    lease.tokens = answer.granted;
    lease.expiresMs = now + LEASE_TTL_MS;
    if (answer.granted > 0) {
      lease.deniedUntilMs = 0;
      return;
    }
    lease.nextTokenMs = now + ((1 - answer.tokens) / limit.rps) * 1000;
    lease.deniedUntilMs = now + ((want - answer.tokens) / limit.rps) * 1000;
  }
}

/** Tokens a replica asks for at once: about LEASE_SECONDS of the rate, at least 1, at most the burst. */
const leaseSize = (limit: RateLimit): number =>
  Math.max(1, Math.min(Math.floor(limit.burst), Math.ceil(limit.rps * LEASE_SECONDS)));
