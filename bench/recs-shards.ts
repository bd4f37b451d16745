// Tenant-sharded recommendations: heap and latency of scoring with 1 and 3 replicas serving --tenants
// tenants (30 by default). Every tenant gets the same catalog (generateRetail, --items items), its own
// --users users' features on the compacted topics (pseudonymized per tenant) and its own registered
// copy of one recommender trained on that retail history (each replica loads a copy per tenant it
// holds, as it would separate models). Per replica count R, R scoring processes start with
// RECS_SHARDS=R, their own RECS_SHARD and the shards' URLs; each loads the models and the state of its
// tenants only. Load: one autocannon per replica, each with its share of --connections, requests of
// random users (80% known, 20% unknown) with X-Mercato-Tenant (development auth). Three routings:
// `direct`, each replica asked only for its own tenants (a gateway routing by tenant; the only one
// with R = 1); `service` (R > 1), each replica asked for any tenant (as behind a Kubernetes Service),
// answering its own and forwarding the others' to their shard; and `forwarded` (R > 1), each replica
// asked only for other shards' tenants, so every request pays the hop. p50, p99 and max are the worst
// replica's, requests/s the sum. Printed per R and routing: tenants and memory per replica (the
// lowest V8 heap used and RSS of 20 samples of /metrics over 10 s at rest after loading), latency,
// requests/s, the share of requests forwarded, and the CPU time all replicas spent per request
// (process_cpu_seconds_total; on a shared machine a steadier figure of a hop's cost than requests/s,
// which also depend on what else runs).
// The user vectors of the model are those of the raw ids it was trained on, so every user is ranked
// from their history (the mean of their items' vectors) rather than from a learned vector.
// Usage: node dist/bench/recs-shards.js [--tenants 30] [--items 2000] [--users 500] [--replicas 1,3]
//          [--connections 12] [--duration 15] [--json]
// Run it on a broker of your own (KAFKA_BROKERS): it writes --tenants × (--items + --users) records to
// the compacted recommendation topics.
import autocannon from 'autocannon';
import { recommenderToArtifact, selectBackend, trainRecommender } from '@mercato/ml';
import { RegistryClient } from '@mercato/registry-client';
import { generateRetail, retailTrainingData, seededRandom } from '@mercato/synthetic';
import {
  createTestDatabase,
  ensureLocalKafka,
  ensureLocalPostgres,
  eventually,
  startService,
  stopServices,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
} from '@mercato/dev-stack';
import { ensureTopics } from '@mercato/kafka';
import { parseArgs } from 'node:util';
import { assignTenants } from '../services/scoring/src/recommendations/tenant-shards';
import {
  freePort,
  pseudonymOf,
  publishTenantState,
  registerRecommender,
  type StackItem,
  type StackUser,
} from './recs-stack';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '30' },
    items: { type: 'string', default: '2000' },
    users: { type: 'string', default: '500' },
    replicas: { type: 'string', default: '1,3' },
    connections: { type: 'string', default: '12' },
    duration: { type: 'string', default: '15' },
    json: { type: 'boolean', default: false },
  },
});
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const MB = 1024 * 1024;

interface ReplicaFigures {
  shard: number;
  /** Tenants with a recommender loaded. */
  tenants: number;
  /** Tenants whose users and catalog are held: every tenant on the topics a shard owns, earlier runs' too. */
  stateTenants: number;
  heapMb: number;
  rssMb: number;
}

/**
 * direct: requests go to the tenant's shard; service: to any replica, which forwards other shards'
 * tenants; forwarded: always to a replica that forwards.
 */
type Routing = 'direct' | 'service' | 'forwarded';

interface Run {
  replicas: number;
  routing: Routing;
  perReplica: ReplicaFigures[];
  latencyMs: { p50: number; p99: number; max: number };
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
  forwardedShare: number;
  /** CPU time of all replicas per answered request, µs. */
  cpuUsPerRequest: number;
}

/** Tenants with a production version loaded, V8 heap used and RSS, from a replica's /metrics. */
async function replicaSample(url: string, shard: number): Promise<ReplicaFigures> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: ReplicaFigures = { shard, tenants: 0, stateTenants: 0, heapMb: 0, rssMb: 0 };
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('nodejs_heap_size_used_bytes')) out.heapMb = value / MB;
    if (line.startsWith('process_resident_memory_bytes')) out.rssMb = value / MB;
    if (line.startsWith('mercato_recs_state_tenants')) out.stateTenants = value;
    if (line.startsWith('mercato_recs_model_version{') && line.includes('alias="production"') && value > 0)
      out.tenants++;
  }
  return out;
}

/** A replica's CPU time so far, seconds (user and system). */
async function cpuSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('process_cpu_seconds_total'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * A replica at rest: the lowest heap and RSS of 20 samples over 10 s. Heap used between collections
 * includes garbage; its low points, right after a collection, are what the replica holds.
 */
async function replicaFigures(url: string, shard: number): Promise<ReplicaFigures> {
  const samples: ReplicaFigures[] = [];
  for (let i = 0; i < 20; i++) {
    samples.push(await replicaSample(url, shard));
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    shard,
    tenants: Math.max(...samples.map((s) => s.tenants)),
    stateTenants: Math.max(...samples.map((s) => s.stateTenants)),
    heapMb: Math.min(...samples.map((s) => s.heapMb)),
    rssMb: Math.min(...samples.map((s) => s.rssMb)),
  };
}

async function runReplicas(
  replicas: number,
  env: Record<string, string>,
  tenants: string[],
  users: string[],
): Promise<Run[]> {
  const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const group = `bench-shards-${uniqueSuffix()}`;
  log(`${replicas} replica(s): starting`);
  const started = await Promise.allSettled(
    ports.map(async (port, shard) =>
      startService(
        'scoring',
        {
          ...env,
          HTTP_PORT: String(port),
          GRPC_PORT: String(await freePort()),
          KAFKA_CONSUMER_GROUP: group,
          RECS_SHARDS: String(replicas),
          RECS_SHARD: String(shard),
          RECS_SHARD_URLS: urls.join(','),
        },
        300_000,
      ),
    ),
  );
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  try {
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    // Every tenant's model loaded by its shard (asked anywhere: the status route forwards too).
    await eventually(
      async () => {
        const loaded = await Promise.all(
          tenants.map(async (tenant, i) => {
            const res = await fetch(`${urls[i % replicas]}/v1/models/recommender`, {
              headers: { 'x-mercato-tenant': tenant },
            });
            if (!res.ok) return false;
            return (
              ((await res.json()) as { production: { version: number | null } }).production.version !== null
            );
          }),
        );
        return loaded.every(Boolean) ? true : undefined;
      },
      300_000,
      'every tenant served by its shard',
    );
    await new Promise((r) => setTimeout(r, 5_000));
    const perReplica = await Promise.all(urls.map((url, shard) => replicaFigures(url, shard)));
    log(
      `${replicas} replica(s): ${JSON.stringify(perReplica)}; warming up, then ${values.duration} s of load`,
    );
    let requests = 0;
    let forwarded = 0;
    const random = seededRandom(0x5eed);
    let strangers = 0;
    /** autocannon against the given URL, each request for one of the given tenants. */
    const cannon = (url: string, among: string[], connections: number, duration: number) =>
      autocannon({
        url,
        connections,
        duration,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => {
              const tenant = among[Math.floor(random() * among.length)] as string;
              const user =
                random() < 0.2 ? `stranger-${strangers++}` : users[Math.floor(random() * users.length)];
              return {
                ...request,
                path: `/v1/users/${user}/recommendations?k=10`,
                headers: { ...request.headers, 'x-mercato-tenant': tenant },
              };
            },
            onResponse: (_status, _body, _context, headers) => {
              requests++;
              if (headers?.['x-mercato-shard'] !== undefined) forwarded++;
            },
          },
        ],
      });
    const connections = Number(values.connections);
    const owners = assignTenants(['default', ...tenants], replicas);
    const asked = (routing: Routing, shard: number): string[] =>
      routing === 'service'
        ? tenants
        : tenants.filter((t) => (owners.get(t) === shard) === (routing === 'direct'));
    const measure = async (routing: Routing): Promise<Run> => {
      const duration = Number(values.duration);
      requests = 0;
      forwarded = 0;
      const cpuBefore = await Promise.all(urls.map(cpuSeconds));
      // One autocannon per replica with its share of the connections.
      const results = await Promise.all(
        urls.map((url, shard) =>
          cannon(url, asked(routing, shard), Math.max(1, Math.round(connections / replicas)), duration),
        ),
      );
      const cpuAfter = await Promise.all(urls.map(cpuSeconds));
      const cpu = cpuAfter.reduce((a, c, i) => a + c - (cpuBefore[i] as number), 0);
      const sum = (f: (r: autocannon.Result) => number): number => results.reduce((a, r) => a + f(r), 0);
      const max = (f: (r: autocannon.Result) => number): number => Math.max(...results.map(f));
      return {
        replicas,
        routing,
        perReplica,
        latencyMs: {
          p50: max((r) => r.latency.p50),
          p99: max((r) => r.latency.p99),
          max: max((r) => r.latency.max),
        },
        rps: sum((r) => r.requests.average),
        requests: sum((r) => r.requests.total),
        non2xx: sum((r) => r.non2xx),
        errors: sum((r) => r.errors),
        forwardedShare: requests === 0 ? 0 : forwarded / requests,
        cpuUsPerRequest: requests === 0 ? 0 : (cpu * 1e6) / requests,
      };
    };
    await Promise.all(
      urls.map((url) => cannon(url, tenants, Math.max(1, Math.round(connections / replicas)), 3)),
    );
    const runs = [await measure('direct')];
    if (replicas > 1) runs.push(await measure('service'), await measure('forwarded'));
    return runs;
  } finally {
    await stopServices(services as ServiceProcess[]);
  }
}

async function main(): Promise<void> {
  const nTenants = Number(values.tenants);
  const nItems = Number(values.items);
  const nUsers = Number(values.users);
  // KAFKA_BROKERS / DATABASE_URL, or the local ones, stopped at the end when this run started them.
  const kafka = await ensureLocalKafka(log);
  const postgres = await ensureLocalPostgres(log);
  process.env.KAFKA_BROKERS = kafka.brokers;
  process.env.DATABASE_URL = postgres.url;
  const stops: (() => Promise<unknown>)[] = [() => kafka.stop(), () => postgres.stop()];
  try {
    await ensureTopics(testKafka());
    const db = await createTestDatabase('bench_shards');
    stops.push(() => db.drop());
    const common = { DATABASE_URL: db.url, KAFKA_BROKERS: process.env.KAFKA_BROKERS, LOG_LEVEL: 'warn' };
    const registry = await startService('model-registry', { ...common, HTTP_PORT: String(await freePort()) });
    stops.push(() => registry.stop());

    const retail = generateRetail({
      seed: 7,
      items: nItems,
      users: nUsers,
      interactionsPerUser: 30,
      start: new Date('2026-01-01T00:00:00Z'),
      spacingMs: 1_000,
    });
    const { tf, name: backend } = await selectBackend('auto');
    log(`training one recommender on ${retail.interactions.length} interactions over ${nItems} items`);
    const model = await trainRecommender(tf, retailTrainingData(retail), {
      objective: 'implicit',
      epochs: 3,
    });
    const { files } = await recommenderToArtifact(tf, model, {
      backend,
      metrics: {},
      createdAt: new Date().toISOString(),
    });
    const items: StackItem[] = retail.items.map((i) => ({
      itemId: i.item_id,
      title: i.title,
      description: i.description,
      categories: i.categories,
      available: i.available,
    }));
    const histories = new Map<string, { recent: string[]; purchased: string[] }>();
    for (const i of retail.interactions) {
      const h = histories.get(i.user_id) ?? { recent: [], purchased: [] };
      h.recent = [i.item_id, ...h.recent.filter((x) => x !== i.item_id)].slice(0, 50);
      if (i.type === 'purchase' && !h.purchased.includes(i.item_id)) h.purchased.push(i.item_id);
      histories.set(i.user_id, h);
    }
    const run = uniqueSuffix();
    const tenants = Array.from({ length: nTenants }, (_, i) => `shard-bench-${run}-${i}`);
    const registryClient = new RegistryClient(registry.url);
    for (const tenant of tenants) {
      await registerRecommender(registryClient, tenant, files);
      const users: StackUser[] = [...histories].map(([raw, h]) => ({
        userId: pseudonymOf(tenant, raw),
        ...h,
      }));
      await publishTenantState(tenant, items, users);
    }
    log(`${nTenants} tenants registered and published (${nItems} items, ${histories.size} users each)`);

    const env = {
      ...common,
      MODEL_REGISTRY_URL: registry.url,
      FEATURE_URL: `http://127.0.0.1:${await freePort()}`,
      SENTIMENT_MODEL_NAME: `sentiment-shard-bench-${run}`,
      RECS_TENANTS: tenants.join(','),
    };
    const runs: Run[] = [];
    for (const replicas of String(values.replicas).split(',').map(Number))
      runs.push(...(await runReplicas(replicas, env, tenants, [...histories.keys()])));

    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ tenants: nTenants, items: nItems, users: histories.size, runs }, null, 2)}\n`,
      );
      return;
    }
    const f = (n: number, d = 1): string => n.toFixed(d);
    const lines = [
      `recommendations, tenant-sharded: ${nTenants} tenants × (${nItems} items, ${histories.size} users, one model each); ` +
        `${values.connections} connections for ${values.duration} s`,
      '| replicas | routing | tenants per replica (models / state) | heap used per replica (MB) | RSS per replica (MB) | p50 ms | p99 ms | max ms | req/s | forwarded | CPU µs/request | non-2xx |',
      '| -------- | ------- | ----------------------------------- | -------------------------- | -------------------- | ------ | ------ | ------ | ----- | --------- | -------------- | ------- |',
      ...runs.map(
        (r) =>
          `| ${r.replicas} | ${r.routing} | ${r.perReplica.map((p) => `${p.tenants}/${p.stateTenants}`).join(', ')} | ${r.perReplica.map((p) => f(p.heapMb, 0)).join(' / ')} | ` +
          `${r.perReplica.map((p) => f(p.rssMb, 0)).join(' / ')} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ` +
          `${f(r.rps, 0)} | ${f(r.forwardedShare * 100, 0)}% | ${f(r.cpuUsPerRequest, 0)} | ${r.non2xx + r.errors} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
