// The authenticator's own logic over an in-memory key source (the Postgres store is covered by the
// auth-* integration specs): what a cached verification may and may not let through.
import { describe, expect, it } from 'vitest';
import { formatApiKey, generateApiKey, hashSecret } from './api-key';
import type { ApiKeyRecord, ApiKeyStore } from './api-key.store';
import { Authenticator } from './authenticator';

function setUp() {
  const key = generateApiKey();
  const rows = new Map<string, ApiKeyRecord>();
  const record = (changes: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
    id: key.id,
    tenantId: 'acme',
    name: 'shop',
    secretSha256: hashSecret(key.secret),
    scopes: ['recs:read'],
    platform: false,
    rateRps: null,
    rateBurst: null,
    rotatedFrom: null,
    createdAt: new Date(0),
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...changes,
  });
  rows.set(key.id, record());
  let finds = 0;
  // Each find returns a fresh object, as a database read does.
  const keys = {
    find: async (id: string) => {
      finds++;
      const row = rows.get(id);
      return row && { ...row };
    },
    touch: async () => undefined,
  } as unknown as ApiKeyStore;
  let now = 1_000_000;
  const authenticator = new Authenticator({
    mode: 'required',
    developmentTenant: 'dev',
    keys,
    keyCacheTtlMs: 5_000,
    rateLimit: { rps: 1_000_000, burst: 1_000_000 },
    now: () => now,
  });
  const headers = (token: string) => ({ authorization: `Bearer ${token}` });
  return {
    key,
    authenticator,
    headers,
    finds: () => finds,
    revoke: () => rows.set(key.id, record({ revokedAt: new Date(now) })),
    advance: (ms: number) => (now += ms),
  };
}

describe('Authenticator with API keys', () => {
  it('accepts a key again from its cache, and still refuses a wrong secret for the same id', async () => {
    const { key, authenticator, headers, finds } = setUp();
    for (let i = 0; i < 3; i++) {
      const principal = await authenticator.authenticate(headers(key.token), ['recs:read']);
      expect(principal).toMatchObject({ tenantId: 'acme', subject: `key:${key.id}`, method: 'api-key' });
    }
    expect(finds()).toBe(1);
    const forged = formatApiKey({ id: key.id, secret: `${key.secret.slice(0, -1)}x` });
    await expect(authenticator.authenticate(headers(forged), ['recs:read'])).rejects.toMatchObject({
      status: 401,
      reason: 'unknown',
    });
    expect((await authenticator.authenticate(headers(key.token), ['recs:read'])).tenantId).toBe('acme');
  });

  it('stops accepting a revoked key once its record is fetched again', async () => {
    const { key, authenticator, headers, revoke, advance } = setUp();
    await authenticator.authenticate(headers(key.token), ['recs:read']);
    revoke();
    advance(1_000);
    // Within the cache's lifetime the key still works: that is the documented revocation delay.
    await authenticator.authenticate(headers(key.token), ['recs:read']);
    advance(5_000);
    await expect(authenticator.authenticate(headers(key.token), ['recs:read'])).rejects.toMatchObject({
      status: 401,
      reason: 'revoked',
    });
  });

  it('answers without waiting once the record is cached, and waits again when it must be fetched', async () => {
    const { key, authenticator, headers, finds, advance } = setUp();
    const first = authenticator.authenticateNow(headers(key.token), ['recs:read']);
    expect(first).toBeInstanceOf(Promise);
    expect((await first).tenantId).toBe('acme');
    const now = authenticator.authenticateNow(headers(key.token), ['recs:read']);
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toMatchObject({ tenantId: 'acme', subject: `key:${key.id}` });
    // Refusals of a cached key are thrown at once, with the same status and reason.
    expect(() => authenticator.authenticateNow(headers(key.token), ['models:admin'])).toThrow(
      expect.objectContaining({ status: 403, reason: 'insufficient_scope' }),
    );
    const forged = formatApiKey({ id: key.id, secret: `${key.secret.slice(0, -1)}x` });
    expect(() => authenticator.authenticateNow(headers(forged), ['recs:read'])).toThrow(
      expect.objectContaining({ status: 401, reason: 'unknown' }),
    );
    advance(5_000);
    const refetched = authenticator.authenticateNow(headers(key.token), ['recs:read']);
    expect(refetched).toBeInstanceOf(Promise);
    await refetched;
    expect(finds()).toBe(2);
  });
});
