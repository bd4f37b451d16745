import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MisroutedError,
  SHARD_HOP_HEADER,
  ShardUnavailableError,
  TenantShards,
  assignTenants,
  shardOf,
} from './tenant-shards';

const tenants = Array.from({ length: 300 }, (_, i) => `tenant-${i}`);

describe('shardOf', () => {
  it('puts every tenant on one shard, the same one every time, with one shard owning all', () => {
    for (const t of tenants) {
      expect(shardOf(t, 1)).toBe(0);
      const s = shardOf(t, 3);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(3);
      expect(shardOf(t, 3)).toBe(s);
    }
  });

  it('spreads tenants about evenly', () => {
    const counts = [0, 0, 0];
    for (const t of tenants) counts[shardOf(t, 3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(70); // 100 expected of 300
  });

  it('moves only the tenants the new shard wins when shards are added', () => {
    for (const t of tenants) {
      const before = shardOf(t, 3);
      const after = shardOf(t, 4);
      if (after !== before) expect(after).toBe(3);
    }
    const moved = tenants.filter((t) => shardOf(t, 3) !== shardOf(t, 4)).length;
    expect(moved).toBeGreaterThan(40); // about a quarter of 300
    expect(moved).toBeLessThan(110);
  });
});

describe('assignTenants', () => {
  it('gives no shard more than its share of the listed tenants, most of them their first choice', () => {
    const listed = tenants.slice(0, 30);
    const owners = assignTenants(listed, 3);
    const counts = [0, 0, 0];
    for (const t of listed) counts[owners.get(t) as number]!++;
    expect(counts).toEqual([10, 10, 10]);
    expect(listed.filter((t) => owners.get(t) === shardOf(t, 3)).length).toBeGreaterThan(15);
    // The same list in any order, with duplicates, gives the same owners on every replica.
    expect(assignTenants([...listed].reverse().concat(listed.slice(0, 5)), 3)).toEqual(owners);
  });

  it('leaves most owners in place when a tenant is added to the list', () => {
    const before = assignTenants(tenants.slice(0, 30), 3);
    const after = assignTenants(tenants.slice(0, 31), 3);
    const moved = tenants.slice(0, 30).filter((t) => before.get(t) !== after.get(t)).length;
    expect(moved).toBeLessThan(6);
  });
});

const config = (shards: number, shard: number, urls: string[] = []) => ({
  TENANT_ID: 'default',
  RECS_TENANTS: [],
  RECS_SHARDS: shards,
  RECS_SHARD: shard,
  RECS_SHARD_URLS: urls,
});

describe('TenantShards', () => {
  it('refuses a shard index or URL list that does not fit the shard count', () => {
    expect(() => new TenantShards(config(2, 2))).toThrow(/RECS_SHARD: 2 is not below RECS_SHARDS \(2\)/);
    expect(() => new TenantShards(config(3, 0, ['http://a', 'http://b']))).toThrow(
      /RECS_SHARD_URLS: 2 URLs for RECS_SHARDS=3/,
    );
    expect(new TenantShards(config(1, 0)).owns('any')).toBe(true);
  });

  describe('forward', () => {
    let owner: Server;
    let ownerUrl: string;
    const received: { url: string; headers: IncomingHttpHeaders; port: number }[] = [];

    beforeAll(async () => {
      owner = createServer((req, res) => {
        received.push({ url: req.url ?? '', headers: req.headers, port: req.socket.remotePort ?? 0 });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
      await new Promise<void>((r) => owner.listen(0, '127.0.0.1', r));
      ownerUrl = `http://127.0.0.1:${(owner.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => owner.close(() => r())));

    // Shard 0 of 2, and a tenant of shard 1 (the real owner is the local server).
    const other = tenants.find((t) => shardOf(t, 2) === 1) as string;

    it("sends the request to the owner with the caller's credentials and the hop mark only", async () => {
      const shards = new TenantShards(config(2, 0, ['http://127.0.0.1:1', `${ownerUrl}/`]));
      expect(shards.owns(other)).toBe(false);
      const res = await shards.forward(other, '/v1/users/u1/recommendations?k=5', {
        authorization: 'Bearer k',
        'x-mercato-tenant': other,
        cookie: 'not forwarded',
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toEqual({ ok: true });
      const last = received.at(-1);
      expect(last?.url).toBe('/v1/users/u1/recommendations?k=5');
      expect(last?.headers.authorization).toBe('Bearer k');
      expect(last?.headers['x-mercato-tenant']).toBe(other);
      expect(last?.headers[SHARD_HOP_HEADER]).toBe('0');
      expect(last?.headers.cookie).toBeUndefined();
      await shards.onModuleDestroy();
    });

    it('sends concurrent forwards over a few kept-alive connections, under the URL path', async () => {
      const shards = new TenantShards(config(2, 0, ['http://127.0.0.1:1', `${ownerUrl}/scoring/`]));
      const from = received.length;
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) => shards.forward(other, `/v1/users/u${i}/recommendations`, {})),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const sent = received.slice(from);
      expect(sent.map((r) => r.url).sort()).toEqual(
        Array.from({ length: 60 }, (_, i) => `/scoring/v1/users/u${i}/recommendations`).sort(),
      );
      // One connection per request would be 60 client ports.
      expect(new Set(sent.map((r) => r.port)).size).toBeLessThanOrEqual(4);
      await shards.onModuleDestroy();
    });

    it('refuses to forward a forwarded request, and says when the owner is unreachable', async () => {
      const shards = new TenantShards(config(2, 0, ['http://127.0.0.1:1', 'http://127.0.0.1:1']));
      await expect(shards.forward(other, '/x', { [SHARD_HOP_HEADER]: '1' })).rejects.toBeInstanceOf(
        MisroutedError,
      );
      await expect(shards.forward(other, '/x', {})).rejects.toBeInstanceOf(ShardUnavailableError);
      await shards.onModuleDestroy();
    });
  });
});
