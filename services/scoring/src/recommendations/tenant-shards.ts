// Tenant sharding of the recommendation state (RECS_SHARDS > 1): each replica holds the users,
// catalog, popular lists and recommender versions of its share of the tenants only, so adding tenants
// adds replicas instead of making every replica bigger. A tenant belongs to one shard by rendezvous
// (highest random weight) hashing of its id over the shard indexes, bounded for the listed tenants
// (RECS_TENANTS) so that no shard holds more than its share of them: every replica computes the same
// owner without coordination, and growing from N to N+1 shards moves mostly the tenants the new shard
// wins (about 1/(N+1) of them) while the others keep their owner and their warm state.
//
// A request for a tenant another shard owns is forwarded to that shard's HTTP listener
// (RECS_SHARD_URLS, in shard order) with the caller's credentials, marked with X-Mercato-Shard-Hop so
// a misconfigured owner answers 503 instead of forwarding it on; every answer names the shard that
// ranked it in X-Mercato-Shard. A gateway that routes by tenant can send requests to the owner
// directly and skip the hop (docs/runbook.md, "Recommendation shards").
import { TENANT_HEADER } from '@mercato/auth';
import { DomainError } from '@mercato/runtime';
import type { OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Pool } from 'undici';

export const SHARD_HOP_HEADER = 'x-mercato-shard-hop';
export const SHARD_HEADER = 'x-mercato-shard';

/** Request headers a forward carries to the owner: who is calling, for which tenant, in which trace. */
const FORWARDED_HEADERS = ['authorization', TENANT_HEADER, 'traceparent', 'tracestate'];

/** Shard indexes from the tenant's most to least preferred: by the hash of (index, tenant). */
function rankShards(tenantId: string, shards: number): number[] {
  const weights = Array.from({ length: shards }, (_, i) =>
    createHash('sha256').update(`${i}\u0000${tenantId}`).digest().readUIntBE(0, 6),
  );
  return weights.map((_, i) => i).sort((a, b) => (weights[b] as number) - (weights[a] as number));
}

/** The shard (0 to shards-1) that owns a tenant nobody listed: its most preferred one. */
export function shardOf(tenantId: string, shards: number): number {
  return rankShards(tenantId, shards)[0] as number;
}

/**
 * Owners of the listed tenants (RECS_TENANTS and TENANT_ID, the same list on every replica), balanced:
 * hashing alone put 5, 14 and 11 of 30 tenants on three shards. In sorted order each tenant takes its
 * most preferred shard that holds fewer than ceil(tenants / shards), so no replica holds more than
 * its share. Listing one more tenant moves few others: most keep their first choice.
 */
export function assignTenants(tenants: readonly string[], shards: number): Map<string, number> {
  const unique = [...new Set(tenants)].sort();
  const capacity = Math.ceil(unique.length / shards);
  const load = new Array<number>(shards).fill(0);
  const owners = new Map<string, number>();
  for (const tenant of unique) {
    const shard = rankShards(tenant, shards).find((s) => (load[s] as number) < capacity) as number;
    load[shard] = (load[shard] as number) + 1;
    owners.set(tenant, shard);
  }
  return owners;
}

/** A forwarded request reached a replica that does not own the tenant either: the shard lists disagree. */
export class MisroutedError extends DomainError {
  constructor(tenantId: string, shard: number, owner: number) {
    const reason = `tenant ${tenantId} belongs to shard ${owner}, and this replica is shard ${shard}: RECS_SHARDS or RECS_SHARD_URLS differ between replicas`;
    super('unavailable', 'misrouted', [{ field: '(request)', reason }], { retryable: true }, reason);
    this.name = 'MisroutedError';
  }
}

/** The owning shard did not answer (restarting, or unreachable). */
export class ShardUnavailableError extends DomainError {
  constructor(owner: number, cause: string) {
    const reason = `the replica holding this tenant (shard ${owner}) did not answer: ${cause}; retry shortly`;
    super('unavailable', 'unavailable', [{ field: '(request)', reason }], { retryable: true }, reason);
    this.name = 'ShardUnavailableError';
  }
}

/** The owner's answer to a forwarded request, read whole. */
export interface ShardAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** How long the owner may take to answer a forwarded request. */
const FORWARD_TIMEOUT_MS = 5_000;

/**
 * Connections to each other shard, and requests in flight on each (HTTP/1.1 pipelining). Forwards
 * that arrive together leave together on a few kept-alive connections: the owner reads several in one
 * wake-up and its answers come back in one, where one connection per request made every forward cost
 * two process wake-ups on each side (docs/runbook.md, "Recommendation shards", for the figures).
 */
const FORWARD_CONNECTIONS = 4;
const FORWARD_PIPELINING = 8;

export interface TenantShardsConfig {
  TENANT_ID: string;
  RECS_TENANTS: string[];
  RECS_SHARDS: number;
  RECS_SHARD: number;
  RECS_SHARD_URLS: string[];
}

export class TenantShards implements OnModuleDestroy {
  readonly shards: number;
  readonly shard: number;
  /** Per shard: its origin and the path its routes sit under ('' at the root). */
  private readonly targets: readonly { origin: string; base: string }[];
  /**
   * The listed tenants' balanced owners, then every other tenant asked about (tenants are few and
   * their ids come from authenticated principals).
   */
  private readonly owners: Map<string, number>;
  /** Kept-alive, pipelined connections to each other shard (undici), made on the first forward. */
  private readonly pools = new Map<number, Pool>();

  constructor(config: TenantShardsConfig) {
    this.shards = config.RECS_SHARDS;
    this.shard = config.RECS_SHARD;
    this.targets = config.RECS_SHARD_URLS.map((u) => {
      const url = new URL(u);
      return { origin: url.origin, base: url.pathname.replace(/\/+$/, '') };
    });
    if (this.shard >= this.shards)
      throw new Error(`RECS_SHARD: ${this.shard} is not below RECS_SHARDS (${this.shards})`);
    if (this.shards > 1 && this.targets.length !== this.shards)
      throw new Error(
        `RECS_SHARD_URLS: ${this.targets.length} URLs for RECS_SHARDS=${this.shards} (one per shard, in shard order)`,
      );
    this.owners = assignTenants([config.TENANT_ID, ...config.RECS_TENANTS], this.shards);
  }

  get sharded(): boolean {
    return this.shards > 1;
  }

  ownerOf(tenantId: string): number {
    let owner = this.owners.get(tenantId);
    if (owner === undefined) {
      owner = shardOf(tenantId, this.shards);
      this.owners.set(tenantId, owner);
    }
    return owner;
  }

  owns(tenantId: string): boolean {
    return this.shards === 1 || this.ownerOf(tenantId) === this.shard;
  }

  /**
   * The owner's answer to the same request (path and query as received), with the caller's
   * credentials. A request that was forwarded already is refused instead: forwarding twice means the
   * replicas' shard settings differ, and it could loop.
   */
  async forward(
    tenantId: string,
    pathAndQuery: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<ShardAnswer> {
    const owner = this.ownerOf(tenantId);
    if (headers[SHARD_HOP_HEADER] !== undefined) throw new MisroutedError(tenantId, this.shard, owner);
    const sent: Record<string, string> = { [SHARD_HOP_HEADER]: String(this.shard) };
    for (const name of FORWARDED_HEADERS) {
      const value = headers[name];
      if (typeof value === 'string') sent[name] = value;
    }
    const target = this.targets[owner] as { origin: string; base: string };
    let pool = this.pools.get(owner);
    if (!pool) {
      pool = new Pool(target.origin, {
        connections: FORWARD_CONNECTIONS,
        pipelining: FORWARD_PIPELINING,
        headersTimeout: FORWARD_TIMEOUT_MS,
        bodyTimeout: FORWARD_TIMEOUT_MS,
      });
      this.pools.set(owner, pool);
    }
    try {
      const res = await pool.request({ method: 'GET', path: `${target.base}${pathAndQuery}`, headers: sent });
      const body = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, body };
    } catch (err) {
      throw new ShardUnavailableError(owner, (err as Error).message);
    }
  }

  /** Closes the kept-alive connections (Nest calls it at shutdown). */
  async onModuleDestroy(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
