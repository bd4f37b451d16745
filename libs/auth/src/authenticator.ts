// Turns request headers into a Principal, for HTTP (through AuthGuard) and for non-HTTP callers
// (scoring's gRPC): an API key (`Authorization: Bearer mk_…`) looked up by id with a short cache, or
// a JWT verified against the configured JWKS; then the tenant, the scopes and the rate limit (shared
// by every replica through Postgres when given rateBuckets, else this process's own buckets).
// The key cache is the revocation delay: a revoked key keeps working for at most keyCacheTtlMs.
import { secretMatches, looksLikeApiKey, parseApiKey } from './api-key';
import type { ApiKeyRecord, ApiKeyStore } from './api-key.store';
import { AuthError } from './auth-error';
import { JwtVerifier, type JwtSettings } from './jwt-verifier';
import type { Principal } from './principal';
import { RateLimiter, type RateLimit } from './rate-limiter';
import { SharedRateLimiter, type RateBucketStore } from './shared-rate-limiter';
import { SCOPES, type Scope } from './scopes';

export type AuthMode = 'required' | 'off';

/** Header a platform key (service-to-service) uses to act for a tenant. */
export const TENANT_HEADER = 'x-mercato-tenant';

/** Tenant ids are part of model names (`recommender-<tenant>`), so they follow the same rules. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/**
 * The tenant that owns platform-wide models (the default sentiment model every tenant without its
 * own is scored with). Reserved: only platform keys act for it; no tenant key or token can hold it.
 */
export const PLATFORM_TENANT = 'platform';

export interface AuthenticatorOptions {
  mode: AuthMode;
  /** The development principal's tenant when mode is off. */
  developmentTenant: string;
  keys?: ApiKeyStore;
  jwt?: JwtSettings;
  keyCacheTtlMs: number;
  rateLimit: RateLimit;
  /** The buckets every replica shares; without them each process limits on its own. */
  rateBuckets?: RateBucketStore;
  /** Told when the shared buckets cannot be reached (the process's own buckets decide meanwhile). */
  onRateBucketsError?: (err: unknown) => void;
  now?: () => number;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Who presented a credential, before their scopes and rate limit are checked. */
interface Caller {
  principal: Principal;
  limit: RateLimit;
  credential: string;
}

interface CachedKey {
  record: ApiKeyRecord | undefined;
  fetchedMs: number;
}

const MAX_CACHED_KEYS = 10_000;
/** last_used_at is written at most this often per key, off the request path. */
const TOUCH_INTERVAL_MS = 60_000;

const header = (headers: HeaderBag, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export class Authenticator {
  private readonly cache = new Map<string, CachedKey>();
  /**
   * Presented keys whose secret matched, each with the record it matched: the hash is computed once
   * per key and record fetch instead of on every request. Looked up by the whole key (a hash-table
   * probe, not a comparison an attacker can time); a refreshed record is a new object, so a key is
   * checked again whenever its record is fetched again (revocation takes effect the same way).
   */
  private readonly verified = new Map<string, ApiKeyRecord>();
  private readonly jwt: JwtVerifier | undefined;
  private readonly limiter: RateLimiter | SharedRateLimiter;
  private readonly now: () => number;
  private readonly touched = new Map<string, number>();
  private readonly pendingTouch = new Set<string>();

  constructor(private readonly options: AuthenticatorOptions) {
    this.jwt = options.jwt ? new JwtVerifier(options.jwt) : undefined;
    this.now = options.now ?? Date.now;
    this.limiter = options.rateBuckets
      ? new SharedRateLimiter(options.rateBuckets, this.now, options.onRateBucketsError)
      : new RateLimiter(this.now);
  }

  get mode(): AuthMode {
    return this.options.mode;
  }

  /**
   * The caller, or an AuthError (401 no or bad credential, 403 missing scope or tenant, 429 over the
   * rate limit). `token` is used when there is no Authorization header (the SSE access_token).
   */
  async authenticate(headers: HeaderBag, required: readonly Scope[], token?: string): Promise<Principal> {
    return this.authenticateNow(headers, required, token);
  }

  /**
   * authenticate without waiting when nothing has to be fetched (an API key whose record is cached,
   * development mode): the Principal itself, or a thrown AuthError; else a Promise of either. For
   * hot routes, where the promise chain of every request is a cost of its own.
   */
  authenticateNow(
    headers: HeaderBag,
    required: readonly Scope[],
    token?: string,
  ): Principal | Promise<Principal> {
    if (this.options.mode === 'off') return this.developmentPrincipal(headers);
    const presented = this.bearer(headers) ?? token;
    if (presented === undefined || presented === '')
      throw new AuthError(
        401,
        'missing',
        'a credential is required: send Authorization: Bearer <api key or token>',
      );
    if (!looksLikeApiKey(presented))
      return this.fromJwt(presented).then((caller) => this.admit(caller, required));
    const parts = parseApiKey(presented);
    if (!parts) throw new AuthError(401, 'malformed', 'the API key is not of the form mk_<id>_<secret>');
    if (!this.options.keys) throw new AuthError(401, 'unknown', 'API keys are not accepted by this service');
    const cached = this.cache.get(parts.id);
    if (cached && this.now() - cached.fetchedMs < this.options.keyCacheTtlMs)
      return this.admit(this.fromApiKey(presented, parts.secret, cached.record, headers), required);
    return this.fetchKey(parts.id).then((record) =>
      this.admit(this.fromApiKey(presented, parts.secret, record, headers), required),
    );
  }

  /** The caller's scopes and rate limit, checked. */
  private admit(caller: Caller, required: readonly Scope[]): Principal | Promise<Principal> {
    const { principal, limit, credential } = caller;
    const missing = required.filter((s) => !principal.scopes.has(s));
    if (missing.length > 0)
      throw new AuthError(
        403,
        'insufficient_scope',
        `the credential lacks the scope ${missing.join(', ')} this operation needs`,
        undefined,
        required,
      );
    const wait = this.limiter.take(credential, limit);
    return typeof wait === 'number'
      ? this.withinLimit(principal, limit, wait)
      : wait.then((w) => this.withinLimit(principal, limit, w));
  }

  private withinLimit(principal: Principal, limit: RateLimit, wait: number): Principal {
    if (wait > 0)
      throw new AuthError(
        429,
        'rate_limited',
        `rate limit of ${limit.rps}/s exceeded for this credential`,
        wait,
      );
    return principal;
  }

  private bearer(headers: HeaderBag): string | undefined {
    const value = header(headers, 'authorization');
    if (value === undefined) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
    if (!m) throw new AuthError(401, 'malformed', 'the Authorization header must be "Bearer <credential>"');
    return m[1];
  }

  private fromApiKey(
    token: string,
    secret: string,
    record: ApiKeyRecord | undefined,
    headers: HeaderBag,
  ): Caller {
    if (!record || !this.secretVerified(token, secret, record))
      throw new AuthError(401, 'unknown', 'the API key is not known');
    if (record.revokedAt) throw new AuthError(401, 'revoked', 'the API key has been revoked');
    if (record.expiresAt && record.expiresAt.getTime() <= this.now())
      throw new AuthError(401, 'expired', 'the API key has expired');
    this.touch(record.id);
    return {
      principal: {
        tenantId: this.tenantFor(record, header(headers, TENANT_HEADER)),
        subject: `key:${record.id}`,
        scopes: new Set(record.scopes),
        method: 'api-key',
      },
      limit: {
        rps: record.rateRps ?? this.options.rateLimit.rps,
        burst: record.rateBurst ?? this.options.rateLimit.burst,
      },
      credential: `key:${record.id}`,
    };
  }

  /** A platform key acts for the tenant it names; any other key only for its own. */
  private tenantFor(record: ApiKeyRecord, requested: string | undefined): string {
    if (record.tenantId === PLATFORM_TENANT && !record.platform)
      throw new AuthError(
        403,
        'tenant_not_allowed',
        `only platform keys act for the ${PLATFORM_TENANT} tenant`,
      );
    if (requested === undefined || requested === record.tenantId) return record.tenantId;
    if (!record.platform)
      throw new AuthError(
        403,
        'tenant_not_allowed',
        `this key cannot act for another tenant (${TENANT_HEADER})`,
      );
    if (!TENANT_ID_PATTERN.test(requested))
      throw new AuthError(403, 'tenant_not_allowed', `${TENANT_HEADER} is not a valid tenant id`);
    return requested;
  }

  private async fromJwt(token: string): Promise<Caller> {
    if (token.split('.').length !== 3)
      throw new AuthError(401, 'malformed', 'the credential is neither an API key nor a JWT');
    if (!this.jwt)
      throw new AuthError(401, 'unknown', 'bearer tokens are not accepted (AUTH_JWKS_URL is not set)');
    const verified = await this.jwt.verify(token);
    if (!TENANT_ID_PATTERN.test(verified.tenantId))
      throw new AuthError(401, 'invalid_claims', 'the token names an invalid tenant id');
    if (verified.tenantId === PLATFORM_TENANT)
      throw new AuthError(
        403,
        'tenant_not_allowed',
        `tokens cannot act for the reserved ${PLATFORM_TENANT} tenant`,
      );
    return {
      principal: {
        tenantId: verified.tenantId,
        subject: `jwt:${verified.subject}`,
        scopes: verified.scopes,
        method: 'jwt',
      },
      limit: this.options.rateLimit,
      credential: `jwt:${verified.issuer}:${verified.subject}`,
    };
  }

  /** Fetches a key's record (absent: unknown) and caches it for keyCacheTtlMs. */
  private async fetchKey(id: string): Promise<ApiKeyRecord | undefined> {
    const record = await (this.options.keys as ApiKeyStore).find(id);
    if (this.cache.size >= MAX_CACHED_KEYS) this.cache.clear();
    this.cache.set(id, { record, fetchedMs: this.now() });
    return record;
  }

  private secretVerified(token: string, secret: string, record: ApiKeyRecord): boolean {
    if (this.verified.get(token) === record) return true;
    if (!secretMatches(secret, record.secretSha256)) return false;
    if (this.verified.size >= MAX_CACHED_KEYS) this.verified.clear();
    this.verified.set(token, record);
    return true;
  }

  /** Records last use at most once a minute per key, batched and off the request path. */
  private touch(id: string): void {
    const last = this.touched.get(id) ?? 0;
    if (this.now() - last < TOUCH_INTERVAL_MS) return;
    this.touched.set(id, this.now());
    this.pendingTouch.add(id);
    if (this.pendingTouch.size > 1) return;
    setImmediate(() => {
      const ids = [...this.pendingTouch];
      this.pendingTouch.clear();
      // Losing a last-used timestamp is harmless; it must never fail a request.
      this.options.keys?.touch(ids).catch(() => undefined);
    });
  }

  private developmentPrincipal(headers: HeaderBag): Principal {
    const requested = header(headers, TENANT_HEADER);
    return {
      tenantId:
        requested !== undefined && TENANT_ID_PATTERN.test(requested)
          ? requested
          : this.options.developmentTenant,
      subject: 'development',
      scopes: new Set(SCOPES),
      method: 'development',
    };
  }
}
