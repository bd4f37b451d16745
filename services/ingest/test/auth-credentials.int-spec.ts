// Authentication on a real service process (ingest, AUTH_MODE=required, real broker and database):
// API keys that are missing, malformed, unknown, wrong, revoked, expired or short of a scope; OAuth2
// JWTs verified against a JWKS served by a local HTTP server (good, bad signature, wrong audience,
// expired, no tenant); platform keys acting for a tenant; per-credential rate limits (429 +
// Retry-After). Every refusal is checked for its status, reason and WWW-Authenticate challenge.
import { fromBinary } from '@bufbuild/protobuf';
import { NewsArticleSchema, Topics } from '@mercato/contracts';
import {
  createTestDatabase,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort,
} from '@mercato/dev-stack';
import { bearer, testKeys, type TestKeys } from '@mercato/testing';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';

type KeyLike = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
import { createServer, type Server } from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicTap } from './topic-tap';

const RUN = uniqueSuffix();
const ISSUER = `https://idp.test/${RUN}`;
const AUDIENCE = 'mercato-api';
const TENANT = `t${RUN.replace(/[^a-z0-9]/g, '').slice(-12)}`;

let db: TestDatabase;
let keys: TestKeys;
let ingest: ServiceProcess;
let jwks: Server;
let signingKey: KeyLike;
let strangerKey: KeyLike;
let news: TopicTap;
let n = 0;

const article = () => {
  n++;
  return {
    id: `${RUN}-auth-${n}`,
    source: `auth-spec-${RUN}`,
    published_at: new Date(Date.now() - 60_000).toISOString(),
    headline: `Auth run ${RUN}: story ${n}`,
    body: `Body ${n}.`,
    tickers: ['ACME'],
    language: 'en',
  };
};

async function postNews(
  headers: Record<string, string>,
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${ingest.url}/v1/news`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ articles: [article()] }),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** The article published for this result id (the article id, which is also the record key). */
async function published(articleId: string) {
  await news.caughtUp();
  const [record] = news.withKey(articleId);
  if (!record) throw new Error(`article ${articleId} not on ${Topics.newsRaw.name}`);
  return record;
}

async function jwt(
  claims: Record<string, unknown>,
  options: { key?: KeyLike; audience?: string; expiresIn?: string | number } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: options.key === strangerKey ? 'stranger' : 'k1' })
    .setIssuer(ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject('user-42')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  const jwksPort = await freePort();
  await new Promise<void>((resolve) => jwks.listen(jwksPort, '127.0.0.1', resolve));

  db = await createTestDatabase('ingest_auth');
  keys = await testKeys(db.url);
  news = await TopicTap.open(testKafka(), Topics.newsRaw.name);
  ingest = await startService('ingest', {
    HTTP_PORT: String(await freePort()),
    DATABASE_URL: db.url,
    AUTH_MODE: 'required',
    // No key cache, so a revocation shows at once (the default cache delays it up to 30 s).
    AUTH_KEY_CACHE_TTL_MS: '0',
    AUTH_JWKS_URL: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: AUDIENCE,
    PSEUDONYMIZATION_KEY: 'k'.repeat(40),
  });
});

afterAll(async () => {
  await ingest?.stop();
  await news?.close();
  await keys?.close();
  await db?.drop();
  await new Promise((resolve) => jwks?.close(resolve));
});

const refusal = (r: { status: number; body: any; headers: Headers }) => ({
  status: r.status,
  reason: r.body.reason,
  challenge: r.headers.get('www-authenticate'),
});

describe('API keys', () => {
  it('leaves health, metrics and the OpenAPI document public, with nothing of a tenant in them', async () => {
    for (const path of ['/healthz/live', '/healthz/ready', '/metrics', '/v1/openapi.json'])
      expect({ path, status: (await fetch(`${ingest.url}${path}`)).status }).toEqual({ path, status: 200 });
    expect(await (await fetch(`${ingest.url}/metrics`)).text()).not.toContain(TENANT);
  });

  it('refuses a request without a credential, or with a malformed one, with 401 and the reason', async () => {
    expect(refusal(await postNews({}))).toEqual({
      status: 401,
      reason: 'missing',
      challenge: 'Bearer realm="mercato"',
    });
    expect(refusal(await postNews({ authorization: 'Basic dXNlcjpwdw==' }))).toMatchObject({
      status: 401,
      reason: 'malformed',
    });
    expect(refusal(await postNews(bearer('mk_nothex_short')))).toMatchObject({
      status: 401,
      reason: 'malformed',
    });
    expect(refusal(await postNews(bearer('not-a-key')))).toMatchObject({ status: 401, reason: 'malformed' });
  });

  it('refuses an unknown key and a known id with the wrong secret alike', async () => {
    const unknown = `mk_${'0'.repeat(16)}_${'A'.repeat(43)}`;
    const r = await postNews(bearer(unknown));
    expect(refusal(r)).toEqual({
      status: 401,
      reason: 'unknown',
      challenge: 'Bearer realm="mercato", error="invalid_token", error_description="unknown"',
    });
    const { record } = await keys.create({ tenantId: TENANT });
    expect(refusal(await postNews(bearer(`mk_${record.id}_${'B'.repeat(43)}`)))).toMatchObject({
      status: 401,
      reason: 'unknown',
    });
  });

  it('accepts a good key and stamps its tenant on the published record', async () => {
    const { token } = await keys.create({ tenantId: TENANT, scopes: ['news:write'] });
    const r = await postNews(bearer(token));
    expect(r.status).toBe(202);
    const eventId = r.body.results[0].id;
    const record = await published(eventId);
    expect(fromBinary(NewsArticleSchema, record.value as Buffer).tenantId).toBe(TENANT);
  });

  it('refuses a revoked key and an expired key', async () => {
    const { token, record } = await keys.create({ tenantId: TENANT });
    expect((await postNews(bearer(token))).status).toBe(202);
    await keys.store.revoke(record.id);
    expect(refusal(await postNews(bearer(token)))).toMatchObject({ status: 401, reason: 'revoked' });
    const expired = await keys.create({ tenantId: TENANT, expiresAt: new Date(Date.now() - 1_000) });
    expect(refusal(await postNews(bearer(expired.token)))).toMatchObject({ status: 401, reason: 'expired' });
  });

  it('answers 403 naming the missing scope', async () => {
    const { token } = await keys.create({ tenantId: TENANT, scopes: ['alerts:read'] });
    const r = await postNews(bearer(token));
    expect(refusal(r)).toEqual({
      status: 403,
      reason: 'insufficient_scope',
      challenge: 'Bearer realm="mercato", error="insufficient_scope", scope="news:write"',
    });
    expect(r.body.message).toContain('news:write');
  });

  it('lets only a platform key act for another tenant', async () => {
    const plain = await keys.create({ tenantId: TENANT });
    expect(refusal(await postNews(bearer(plain.token, { 'x-mercato-tenant': 'other' })))).toMatchObject({
      status: 403,
      reason: 'tenant_not_allowed',
    });
    const platform = await keys.create({ tenantId: TENANT, platform: true });
    const r = await postNews(bearer(platform.token, { 'x-mercato-tenant': `${TENANT}-b` }));
    expect(r.status).toBe(202);
    const record = await published(r.body.results[0].id);
    expect(fromBinary(NewsArticleSchema, record.value as Buffer).tenantId).toBe(`${TENANT}-b`);
  });

  it('takes the tenant only from the credential: a tenant field in the body is refused', async () => {
    const { token } = await keys.create({ tenantId: `${TENANT}-b` });
    const res = await fetch(`${ingest.url}/v1/news`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(token) },
      body: JSON.stringify({ articles: [{ ...article(), tenant_id: TENANT }] }),
    });
    const body = (await res.json()) as any;
    expect(body.results[0]).toMatchObject({ status: 'rejected' });
    expect(body.results[0].errors.map((e: any) => e.field)).toContain('tenant_id');
    const ok = await postNews(bearer(token));
    expect(
      fromBinary(NewsArticleSchema, (await published(ok.body.results[0].id)).value as Buffer).tenantId,
    ).toBe(`${TENANT}-b`);
  });

  it('rate-limits per credential with 429 and Retry-After, without touching other credentials', async () => {
    const limited = await keys.create({ tenantId: TENANT, rateRps: 0.5, rateBurst: 2 });
    const other = await keys.create({ tenantId: TENANT });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await postNews(bearer(limited.token)));
    expect(statuses.map((s) => s.status)).toEqual([202, 202, 429]);
    expect(statuses[2]?.body.reason).toBe('rate_limited');
    expect(Number(statuses[2]?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await postNews(bearer(other.token))).status).toBe(202);
    // The bucket is the one every replica shares (RATE_LIMIT_SCOPE=shared, the default).
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    const buckets = await sql
      .query('SELECT tokens FROM auth.rate_buckets WHERE credential = $1', [`key:${limited.record.id}`])
      .finally(() => sql.end());
    expect(buckets.rows).toHaveLength(1);
    expect(buckets.rows[0].tokens).toBeLessThan(1);
  });
});

describe('OAuth2 bearer tokens (JWT against the JWKS)', () => {
  it('accepts a token signed by the identity provider with the tenant and scope claims', async () => {
    const r = await postNews(bearer(await jwt({ tenant: TENANT, scope: 'news:write alerts:read' })));
    expect(r.status).toBe(202);
    const record = await published(r.body.results[0].id);
    expect(fromBinary(NewsArticleSchema, record.value as Buffer).tenantId).toBe(TENANT);
  });

  it('refuses a bad signature, a wrong audience, an expired token, and missing claims', async () => {
    const bad = await jwt({ tenant: TENANT, scope: 'news:write' }, { key: strangerKey });
    expect(refusal(await postNews(bearer(bad)))).toMatchObject({ status: 401, reason: 'bad_signature' });
    const forged = (await jwt({ tenant: TENANT, scope: 'news:write' })).replace(/\.[^.]+$/, '.AAAA');
    expect(refusal(await postNews(bearer(forged)))).toMatchObject({ status: 401, reason: 'bad_signature' });
    const audience = await jwt({ tenant: TENANT, scope: 'news:write' }, { audience: 'someone-else' });
    expect(refusal(await postNews(bearer(audience)))).toMatchObject({
      status: 401,
      reason: 'invalid_claims',
    });
    const expired = await jwt(
      { tenant: TENANT, scope: 'news:write' },
      { expiresIn: Math.floor(Date.now() / 1000) - 60 },
    );
    expect(refusal(await postNews(bearer(expired)))).toMatchObject({ status: 401, reason: 'expired' });
    const noTenant = await jwt({ scope: 'news:write' });
    expect(refusal(await postNews(bearer(noTenant)))).toMatchObject({
      status: 401,
      reason: 'invalid_claims',
    });
    const noScope = await jwt({ tenant: TENANT, scope: 'alerts:read' });
    expect(refusal(await postNews(bearer(noScope)))).toMatchObject({
      status: 403,
      reason: 'insufficient_scope',
    });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ tenant: TENANT, scope: 'news:write', iss: ISSUER, aud: AUDIENCE })).toString('base64url')}.`;
    expect((await postNews(bearer(none))).status).toBe(401);
  });
});
