// Recommendation latency under load at retail scale: for each catalog size (default 10,000, 100,000
// and 1,000,000 items; generateRetail with made-up brands so items read as varied as a real
// catalog's), a recommender of the production default objective trained on the generated history
// (on the items that have interactions: the rest of the catalog reaches the model as it does in
// production, scored from its text when scoring loads the version), served by a real scoring process
// (registry, catalog and user features on the real broker: see recs-stack.ts), and autocannon
// against GET /v1/users/{id}/recommendations with a mix of known users (history in memory,
// personalized) and unknown ones (popular), answer cache on and then off (scoring restarted with
// RECS_CACHE_SIZE=0). In the same run, the same autocannon settings against a bare node:http server
// (its own process) returning a fixed body of the same size: p50, p99, requests/s and the ratio.
// Printed per size: how top-K is served (exhaustive scan below RECS_EXACT_BELOW, else the IVF index:
// cells, probe and how it was chosen (scoring measures recall on its users' histories and raises the
// probe until RECS_INDEX_TARGET_RECALL; --probe N sets it instead), the recall it was chosen at,
// scoring's start-up to serving, build time, memory), recall@10 of what is served against the exhaustive scan
// (measured in this process on the same artifact and catalog at scoring's probe, per kind of query: personal, personal
// in a category, popular), scoring's heap, external memory (the WebAssembly tables) and RSS, and the
// latency table. The run stops what it started (Postgres, a broker) and exits.
// Targets (issue 23): uncached p99 < 10 ms at 1,000,000 items, and at least 40% of the bare server's
// requests/s at 100,000 items uncached.
// Usage: node dist/bench/recs-latency.js [--items 10000,100000,1000000] [--users 3000] [--brands 5000]
//          [--unknown-share 0.2] [--zipf 1] [--connections 1,8,32] [--duration 15] [--k 10]
//          [--cache on,off] [--recall-queries 300] [--epochs 3] [--probe N] [--profile DIR] [--json]
// Requests follow a seeded mix (requestMix): Zipf-distributed known users, fresh unknown users,
// some with exclude=seen or a category. The cached runs use scoring's answer cache (RECS_CACHE_SIZE,
// default 100,000), whose hit ratio over each run is printed; the uncached ones rank every request.
// --profile DIR runs scoring under --cpu-prof. Each connection count is a separate autocannon run
// against each server; the ratio and the targets are read at the highest count. The in-process
// ranking time (scoring's own histogram, transport and queueing excluded) and the CPU per request
// are printed beside, to separate the service time from the queueing under load.
import autocannon from 'autocannon';
import {
  DEFAULT_RANKING_OBJECTIVE,
  loadRecommender,
  recommenderToArtifact,
  selectBackend,
  trainRecommender,
  type ArtifactFile,
  type RecommenderItem,
  type RecommenderModel,
  type RetrievalInfo,
  type TF,
} from '@mercato/ml';
import { withLocalInfra } from '@mercato/dev-stack';
import { generateRetail } from '@mercato/synthetic';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { benchTenant, freePort, pseudonymOf, startRecsStack, type StackUser } from './recs-stack';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '10000,100000,1000000' },
    users: { type: 'string', default: '3000' },
    brands: { type: 'string', default: '5000' },
    'unknown-share': { type: 'string', default: '0.2' },
    zipf: { type: 'string', default: '1' },
    connections: { type: 'string', default: '1,8,32' },
    duration: { type: 'string', default: '15' },
    k: { type: 'string', default: '10' },
    cache: { type: 'string', default: 'on,off' },
    'recall-queries': { type: 'string', default: '300' },
    epochs: { type: 'string', default: '3' },
    probe: { type: 'string' },
    /** A directory: scoring runs under --cpu-prof and writes its profile there when it stops. */
    profile: { type: 'string' },
    /** api-key: AUTH_MODE=required and an API key on every request (production); off: development. */
    auth: { type: 'string', default: 'api-key' },
    json: { type: 'boolean', default: false },
  },
});
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const K = Number(values.k);
/** The index's probe: scoring chooses it by measuring recall unless --probe sets it. */
const probe = values.probe === undefined ? undefined : Number(values.probe);

interface Load {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  rps: number;
  requests: number;
  errors: number;
  non2xx: number;
}

/** A seeded random in [0, 1) (mulberry32): the request mix must not depend on @mercato/synthetic's state. */
function mulberry(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The request stream every run replays: users drawn from a Zipf curve over the known users (a few
 * heavy users, a long tail), `unknownShare` of requests from users never seen (each a fresh id:
 * cold start), 30% with exclude=seen and 20% limited to a category. Seeded, so every run of the
 * bench sends the same sequence; the answer cache sees repeats only as often as this mix makes them.
 */
function requestMix(
  known: string[],
  categories: string[],
  unknownShare: number,
  exponent: number,
  k: string,
): () => string {
  const random = mulberry(0x5eed);
  const cdf = new Float64Array(known.length);
  let total = 0;
  for (let r = 0; r < known.length; r++) cdf[r] = total += 1 / (r + 1) ** exponent;
  const zipf = (): string => {
    const x = random() * total;
    let lo = 0;
    let hi = known.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return known[lo] as string;
  };
  let strangers = 0;
  return () => {
    const user = random() < unknownShare ? `stranger-${strangers++}` : zipf();
    let path = `/v1/users/${user}/recommendations?k=${k}`;
    if (random() < 0.3) path += '&exclude=seen';
    if (random() < 0.2)
      path += `&category=${encodeURIComponent(categories[Math.floor(random() * categories.length)] as string)}`;
    return path;
  };
}

/** autocannon requests whose path is drawn from the mix for every request, across all connections. */
const mix = (nextPath: () => string): autocannon.Request[] => [
  { method: 'GET', setupRequest: (request) => ({ ...request, path: nextPath() }) },
];

async function load(
  url: string,
  nextPath: () => string,
  connections: number,
  headers: Record<string, string>,
): Promise<Load> {
  const result = await autocannon({
    url,
    connections,
    headers,
    duration: Number(values.duration),
    requests: mix(nextPath),
  });
  return {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    rps: result.requests.average,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

interface ScoringMetrics {
  sum: number;
  count: number;
  hits: number;
  lookups: number;
  cpuS: number;
  heapBytes: number;
  externalBytes: number;
  rssBytes: number;
}

/**
 * Scoring's in-process ranking histogram (sum, count; all variants), cache lookups, CPU seconds and
 * memory. CPU time per request is the figure that survives a machine shared with other work:
 * wall-clock req/s and tails move with everyone else's load, the CPU a request costs much less.
 */
async function scoringMetrics(url: string): Promise<ScoringMetrics> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: ScoringMetrics = {
    sum: 0,
    count: 0,
    hits: 0,
    lookups: 0,
    cpuS: 0,
    heapBytes: 0,
    externalBytes: 0,
    rssBytes: 0,
  };
  for (const line of text.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('process_cpu_seconds_total')) out.cpuS = value;
    if (line.startsWith('nodejs_heap_size_used_bytes')) out.heapBytes = value;
    if (line.startsWith('nodejs_external_memory_bytes')) out.externalBytes = value;
    if (line.startsWith('process_resident_memory_bytes')) out.rssBytes = value;
    if (line.startsWith('mercato_recs_request_seconds_sum')) out.sum += value;
    if (line.startsWith('mercato_recs_request_seconds_count')) out.count += value;
    if (line.startsWith('mercato_recs_cache_lookups_total')) {
      out.lookups += value;
      if (line.includes('outcome="hit"')) out.hits += value;
    }
  }
  return out;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux); NaN elsewhere. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** A bare node:http server in its own process, answering every request with the same body. */
async function startBare(body: string): Promise<{ url: string; cpuSeconds(): number; stop(): void }> {
  const port = await freePort();
  const script =
    `const body = Buffer.from(process.env.BODY);` +
    `require('node:http').createServer((req, res) => { res.writeHead(200, {'content-type': 'application/json', 'content-length': body.length}); res.end(body); })` +
    `.listen(${port}, '127.0.0.1', () => process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, BODY: body },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    cpuSeconds: () => processCpuSeconds(child.pid),
    stop: () => child.kill('SIGTERM'),
  };
}

interface Retrieval extends RetrievalInfo {
  recall: number;
}

/** Recall@K of what is served against the exhaustive scan, per kind of query, on the bench's own copy. */
interface RecallReport {
  personal: number;
  personalInCategory: number;
  popular: number;
  /** By id rather than by score (items with identical vectors counted as misses). */
  personalById: number;
  queries: number;
  /** In-process CPU per query, through what is served and through the exhaustive scan. */
  servedUs: number;
  exactUs: number;
  /** The same in a category (the category's available items only). */
  servedCategoryUs: number;
  exactCategoryUs: number;
}

/**
 * The served model rebuilt here as scoring builds it (the artifact, the catalog's items added, the
 * index at the same settings), and its top-K compared with the exhaustive scan on queries like the
 * traffic's: known users' learned vectors and towers over their recent items (with their purchases
 * excluded), the same in a category (available items of it only), and popularity.
 */
function measureRecall(
  model: RecommenderModel,
  users: StackUser[],
  catalog: { item: string; available: boolean; categories: string[] }[],
  count: number,
): RecallReport {
  const random = mulberry(7);
  const rowsOf = new Map(model.itemIds.map((item, row) => [item, row]));
  const allowed = new Uint8Array(model.itemIds.length).fill(1);
  const byCategory = new Map<string, number[]>();
  let available = 0;
  for (const it of catalog) {
    const row = rowsOf.get(it.item);
    if (row === undefined) continue;
    if (!it.available) {
      allowed[row] = 0;
      continue;
    }
    available++;
    for (const c of it.categories) {
      const list = byCategory.get(c) ?? [];
      list.push(row);
      byCategory.set(c, list);
    }
  }
  const categoryRows = new Map([...byCategory].map(([c, rows]) => [c, Int32Array.from(rows).sort()]));
  const categories = [...categoryRows.keys()];
  const allowedShare = available / Math.max(1, catalog.length);
  const picked = Array.from({ length: count }, () => users[Math.floor(random() * users.length)] as StackUser);
  const queries = picked.map((u) =>
    model.readsHistory && u.recent.length > 0
      ? model.userVectorFromItems(u.recent)
      : (model.userVector(u.userId) ?? model.userVectorFromItems(u.recent)),
  );
  const personal = { recall: 0, ids: 0 };
  const inCategory = { recall: 0 };
  const cpu = { served: 0, exact: 0, servedCategory: 0, exactCategory: 0 };
  const timed = (key: keyof typeof cpu, run: () => unknown): void => {
    const t = process.cpuUsage().user;
    run();
    cpu[key] += process.cpuUsage().user - t;
  };
  picked.forEach((u, q) => {
    const options = { exclude: new Set(u.purchased), allowed, allowedShare };
    const query = queries[q] as Float32Array;
    const one = model.retrievalRecall([query], K, options);
    personal.recall += one.recall;
    personal.ids += one.ids;
    const rows = categoryRows.get(categories[q % categories.length] as string);
    const inCategoryOptions = { exclude: new Set(u.purchased), rows };
    inCategory.recall += model.retrievalRecall([query], K, inCategoryOptions).recall;
    timed('served', () => model.topK(query, K, options));
    timed('exact', () => model.topK(query, K, { ...options, exact: true }));
    timed('servedCategory', () => model.topK(query, K, inCategoryOptions));
    timed('exactCategory', () => model.topK(query, K, { ...inCategoryOptions, exact: true }));
  });
  const popular = model.retrievalRecall([new Float32Array(model.hp.dim)], K, {
    allowed,
    allowedShare,
  }).recall;
  return {
    personal: personal.recall / count,
    personalInCategory: inCategory.recall / count,
    popular,
    personalById: personal.ids / count,
    queries: count * 2 + 1,
    servedUs: cpu.served / count,
    exactUs: cpu.exact / count,
    servedCategoryUs: cpu.servedCategory / count,
    exactCategoryUs: cpu.exactCategory / count,
  };
}

interface Run {
  cache: 'on' | 'off';
  connections: number;
  scoring: Load;
  bare: Load;
  rankMs: number;
  cacheHitRatio: number;
  cpuUsPerRequest: { scoring: number; bare: number };
}

interface SizeReport {
  items: number;
  trainedItems: number;
  trainSeconds: number;
  retrieval: Retrieval;
  /** The bench's own rebuild: adding the catalog's items and building the index, as scoring does. */
  offline: { addItemsMs: number; buildMs: number };
  recall: RecallReport;
  /** Scoring's start to serving the version: the state topics read, the version loaded, its index built and warmed. */
  startupS: number;
  memory: { heapMb: number; externalMb: number; rssMb: number };
  runs: Run[];
  loadAverage: number[];
}

async function benchSize(tf: TF, backend: string, nItems: number): Promise<SizeReport> {
  const nUsers = Number(values.users);
  const tenant = benchTenant();
  const retail = generateRetail({
    seed: 5,
    items: nItems,
    users: nUsers,
    interactionsPerUser: 30,
    start: new Date('2026-01-01T00:00:00Z'),
    spacingMs: 1_000,
    brands: Number(values.brands),
  });
  const pseudo = (u: string): string => pseudonymOf(tenant, u);
  const text = (i: (typeof retail.items)[number]): RecommenderItem => ({
    item: i.item_id,
    text: [i.title, i.description].join('. '),
    categories: i.categories,
  });
  const interacted = new Set(retail.interactions.map((i) => i.item_id));
  const trainItems = retail.items.filter((i) => interacted.has(i.item_id)).map(text);
  log(
    `${nItems} items: training the ${DEFAULT_RANKING_OBJECTIVE} model on ${retail.interactions.length} interactions over the ${trainItems.length} items that have some (${backend}, ${values.epochs} epochs)`,
  );
  const started = performance.now();
  const model = await trainRecommender(
    tf,
    {
      interactions: retail.interactions.map((i) => ({
        user: pseudo(i.user_id),
        item: i.item_id,
        value: i.value,
        timestamp: Date.parse(i.timestamp),
      })),
      items: trainItems,
    },
    { objective: DEFAULT_RANKING_OBJECTIVE, epochs: Number(values.epochs) },
  );
  const trainSeconds = (performance.now() - started) / 1000;
  log(`trained in ${trainSeconds.toFixed(1)} s`);
  const files: ArtifactFile[] = (
    await recommenderToArtifact(tf, model, { backend, metrics: {}, createdAt: new Date().toISOString() })
  ).files;

  const byUser = new Map<string, StackUser>();
  for (const i of retail.interactions) {
    const u = byUser.get(i.user_id) ?? { userId: pseudo(i.user_id), recent: [], purchased: [] };
    u.recent = [i.item_id, ...u.recent.filter((x) => x !== i.item_id)].slice(0, 50);
    if (i.type === 'purchase' && !u.purchased.includes(i.item_id)) u.purchased.push(i.item_id);
    byUser.set(i.user_id, u);
  }

  const stack = await startRecsStack({
    tenant,
    files,
    items: retail.items.map((i) => ({
      itemId: i.item_id,
      title: i.title,
      description: i.description,
      categories: i.categories,
      available: i.available,
    })),
    users: [...byUser.values()],
    log,
    auth: values.auth === 'api-key',
    scoringEnv: {
      ...(probe === undefined ? {} : { RECS_INDEX_PROBE: String(probe) }),
      ...(values.profile === undefined
        ? {}
        : { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${values.profile}` }),
    },
  });
  try {
    const status = (await (
      await fetch(`${stack.scoringUrl}/v1/models/recommender`, { headers: stack.headers })
    ).json()) as { production: { retrieval: Retrieval } };
    const memory = await scoringMetrics(stack.scoringUrl);
    const chosen = status.production.retrieval;
    if (chosen.probeChoice)
      log(
        `scoring's index: probe ${chosen.probe} (${chosen.probeChoice.how}; recall@10 ${chosen.probeChoice.recall.toFixed(4)} on ${chosen.probeChoice.queries} tuning queries, target ${chosen.probeChoice.targetRecall}), a subset read ${chosen.probeChoice.subsetWiden} × probe (recall@10 ${chosen.probeChoice.subsetRecall.toFixed(4)} in its categories); ${chosen.probeChoice.tried} settings tried in ${chosen.probeChoice.ms.toFixed(0)} ms; built in ${(chosen.buildMs / 1000).toFixed(1)} s`,
      );
    // Recall and in-process cost, on the same artifact and catalog as scoring, at the probe it serves.
    const served = await loadRecommender(tf, { files });
    let t = performance.now();
    served.addItems(retail.items.map(text));
    const addItemsMs = performance.now() - t;
    t = performance.now();
    served.buildIndex({
      probe: chosen.probe ?? 0,
      ...(chosen.probeChoice ? { subsetWiden: chosen.probeChoice.subsetWiden } : {}),
    });
    const buildMs = performance.now() - t;
    const recall = measureRecall(
      served,
      [...byUser.values()],
      retail.items.map((i) => ({ item: i.item_id, available: i.available, categories: i.categories })),
      Number(values['recall-queries']),
    );
    log(
      `recall@${K} vs exhaustive: personal ${recall.personal.toFixed(4)}, in a category ${recall.personalInCategory.toFixed(4)}, popular ${recall.popular.toFixed(4)}; CPU a query ${recall.servedUs.toFixed(0)} µs vs ${recall.exactUs.toFixed(0)} µs exhaustive, in a category ${recall.servedCategoryUs.toFixed(0)} µs vs ${recall.exactCategoryUs.toFixed(0)} µs`,
    );
    const startupS = stack.startupMs / 1000;
    const known = [...byUser.keys()];
    const unknownShare = Number(values['unknown-share']);
    const categories = [...new Set(retail.items.flatMap((i) => i.categories))].sort();
    const runs: Run[] = [];
    const modes = String(values.cache).split(',') as ('on' | 'off')[];
    for (const [m, cache] of modes.entries()) {
      if (m > 0 || cache === 'off')
        await stack.restartScoring({ RECS_CACHE_SIZE: cache === 'off' ? '0' : '100000' });
      const nextPath = requestMix(known, categories, unknownShare, Number(values['zipf']), values.k);
      const sample = await (
        await fetch(`${stack.scoringUrl}${nextPath()}`, { headers: stack.headers })
      ).text();
      log(`cache ${cache}: a response is ${sample.length} bytes; warming up`);
      await autocannon({
        url: stack.scoringUrl,
        connections: 8,
        duration: 3,
        headers: stack.headers,
        requests: mix(nextPath),
      });
      const bare = await startBare(sample);
      try {
        for (const connections of String(values.connections).split(',').map(Number)) {
          const before = await scoringMetrics(stack.scoringUrl);
          log(`scoring (cache ${cache}): ${connections} connections for ${values.duration} s`);
          const scoring = await load(stack.scoringUrl, nextPath, connections, stack.headers);
          const after = await scoringMetrics(stack.scoringUrl);
          log(`bare node:http: ${connections} connections for ${values.duration} s`);
          const bareCpu = bare.cpuSeconds();
          const baseline = await load(bare.url, nextPath, connections, stack.headers);
          runs.push({
            cache,
            connections,
            scoring,
            bare: baseline,
            rankMs: ((after.sum - before.sum) / Math.max(1, after.count - before.count)) * 1000,
            cacheHitRatio: (after.hits - before.hits) / Math.max(1, after.lookups - before.lookups),
            cpuUsPerRequest: {
              scoring: ((after.cpuS - before.cpuS) / Math.max(1, scoring.requests)) * 1e6,
              bare: ((bare.cpuSeconds() - bareCpu) / Math.max(1, baseline.requests)) * 1e6,
            },
          });
        }
      } finally {
        bare.stop();
      }
    }
    return {
      items: nItems,
      trainedItems: trainItems.length,
      trainSeconds,
      retrieval: status.production.retrieval,
      offline: { addItemsMs, buildMs },
      recall,
      startupS,
      memory: {
        heapMb: memory.heapBytes / 2 ** 20,
        externalMb: memory.externalBytes / 2 ** 20,
        rssMb: memory.rssBytes / 2 ** 20,
      },
      runs,
      loadAverage: loadavg(),
    };
  } finally {
    await stack.stop();
  }
}

function print(reports: SizeReport[]): void {
  const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  const lines: string[] = [
    `recommendations: ${values.users} known users (Zipf ${values.zipf}), ${Number(values['unknown-share']) * 100}% unknown, 30% exclude=seen, 20% a category, k=${K}, auth ${values.auth}, ${values.duration} s per run; ${availableParallelism()} CPUs`,
    '',
    'how top-K is served (scoring, production version) and recall@10 against the exhaustive scan:',
    `${'items'.padStart(9)} ${'retrieval'.padEnd(9)} ${'cells'.padStart(5)} ${'probe'.padStart(5)} ${'chosen'.padStart(8)} ${'at recall'.padStart(9)} ${'subset'.padStart(6)} ${'at recall'.padStart(9)} ${'start s'.padStart(7)} ${'build s'.padStart(7)} ${'vectors'.padStart(8)} ${'index'.padStart(7)} ${'warm-up'.padStart(7)} ${'personal'.padStart(8)} ${'in cat.'.padStart(7)} ${'popular'.padStart(7)} ${'served µs'.padStart(9)} ${'exact µs'.padStart(8)} ${'cat. µs'.padStart(7)} ${'exact'.padStart(6)} ${'heap'.padStart(8)} ${'external'.padStart(8)} ${'rss'.padStart(8)}`,
    ...reports.map((r) => {
      const x = r.retrieval;
      return `${String(r.items).padStart(9)} ${x.kind.padEnd(9)} ${String(x.lists ?? '-').padStart(5)} ${String(x.probe ?? '-').padStart(5)} ${(x.probeChoice?.how ?? '-').padStart(8)} ${(x.probeChoice?.recall.toFixed(4) ?? '-').padStart(9)} ${(x.probeChoice ? `${x.probeChoice.subsetWiden}×` : '-').padStart(6)} ${(x.probeChoice?.subsetRecall.toFixed(4) ?? '-').padStart(9)} ${r.startupS.toFixed(1).padStart(7)} ${(x.buildMs / 1000).toFixed(1).padStart(7)} ${mb(x.matrixBytes).padStart(8)} ${mb(x.indexBytes).padStart(7)} ${x.recall.toFixed(3).padStart(7)} ${r.recall.personal.toFixed(4).padStart(8)} ${r.recall.personalInCategory.toFixed(4).padStart(7)} ${r.recall.popular.toFixed(4).padStart(7)} ${r.recall.servedUs.toFixed(0).padStart(9)} ${r.recall.exactUs.toFixed(0).padStart(8)} ${r.recall.servedCategoryUs.toFixed(0).padStart(7)} ${r.recall.exactCategoryUs.toFixed(0).padStart(6)} ${`${r.memory.heapMb.toFixed(0)} MB`.padStart(8)} ${`${r.memory.externalMb.toFixed(0)} MB`.padStart(8)} ${`${r.memory.rssMb.toFixed(0)} MB`.padStart(8)}`;
    }),
    '',
    `${'items'.padStart(9)} ${'cache'.padStart(5)} ${'server'.padEnd(14)} ${'conns'.padStart(5)} ${'p50 ms'.padStart(7)} ${'p90 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'req/s'.padStart(8)} ${'errors'.padStart(6)} ${'cpu µs/req'.padStart(10)} ${'rank ms'.padStart(8)} ${'cached'.padStart(6)}`,
  ];
  const row = (
    r: SizeReport,
    run: Run,
    name: string,
    l: Load,
    cpu: number,
    rank?: number,
    hits?: number,
  ): string =>
    `${String(r.items).padStart(9)} ${run.cache.padStart(5)} ${name.padEnd(14)} ${String(run.connections).padStart(5)} ${String(l.p50).padStart(7)} ${String(l.p90).padStart(7)} ${String(l.p99).padStart(7)} ${String(l.max).padStart(7)} ${l.rps.toFixed(0).padStart(8)} ${String(l.errors + l.non2xx).padStart(6)} ${cpu.toFixed(0).padStart(10)} ${rank === undefined ? ''.padStart(8) : rank.toFixed(3).padStart(8)} ${hits === undefined ? '' : `${(hits * 100).toFixed(0)}%`.padStart(6)}`;
  for (const r of reports)
    for (const run of r.runs)
      lines.push(
        row(
          r,
          run,
          'scoring (HTTP)',
          run.scoring,
          run.cpuUsPerRequest.scoring,
          run.rankMs,
          run.cacheHitRatio,
        ),
        row(r, run, 'bare node:http', run.bare, run.cpuUsPerRequest.bare),
      );
  lines.push('');
  for (const r of reports) {
    const top = Math.max(...r.runs.map((run) => run.connections));
    for (const run of r.runs.filter((x) => x.connections === top)) {
      const ratio = run.scoring.rps / run.bare.rps;
      lines.push(
        `${r.items} items, cache ${run.cache}, ${top} connections: p99 ${run.scoring.p99} ms, req/s ${(ratio * 100).toFixed(1)}% of bare; load average ${r.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
      );
    }
  }
  const target = (items: number): SizeReport | undefined => reports.find((r) => r.items === items);
  const topRun = (r: SizeReport | undefined): Run | undefined => {
    const off = r?.runs.filter((x) => x.cache === 'off') ?? [];
    return off.sort((a, b) => b.connections - a.connections)[0];
  };
  const million = topRun(target(1_000_000));
  const hundred = topRun(target(100_000));
  if (million)
    lines.push(
      `target: uncached p99 < 10 ms at 1,000,000 items: ${million.scoring.p99} ms (${million.scoring.p99 < 10 ? 'met' : 'NOT met'}); scoring's heap ${target(1_000_000)?.memory.heapMb.toFixed(0)} MB + external ${target(1_000_000)?.memory.externalMb.toFixed(0)} MB with this one tenant`,
    );
  if (hundred) {
    const ratio = hundred.scoring.rps / hundred.bare.rps;
    lines.push(
      `target: uncached req/s >= 40% of bare at 100,000 items: ${(ratio * 100).toFixed(1)}% (${ratio >= 0.4 ? 'met' : 'NOT met'})`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const { tf, name: backend } = await selectBackend('auto');
  const reports: SizeReport[] = [];
  for (const items of String(values.items).split(',').map(Number))
    reports.push(await benchSize(tf, backend, items));
  if (values.json)
    process.stdout.write(`${JSON.stringify({ cpus: availableParallelism(), reports }, null, 2)}\n`);
  else print(reports);
}

withLocalInfra(log, main).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
