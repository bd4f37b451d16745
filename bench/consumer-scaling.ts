// Consumer scaling benchmark: 1, 2 and 4 replicas (processes in one consumer group, as KEDA would
// run pods) of the feature and scoring consumers on topics of 12 partitions, under the same load of
// news articles written straight to news.raw.v1. Prints, per replica count, the throughput of each
// consumer and its lag curve (sampled from the broker: committed offsets against the log end, as
// KEDA's Kafka scaler reads them), then what the chart's KEDA settings would do with those lags:
// ceil(lag / lagThreshold) replicas, bounded by min/maxReplicaCount and the partitions.
//
// Set-up: startNewsStack from @mercato/testing on the broker at KAFKA_BROKERS (registry, training
// and a first sentiment model trained and promoted, as `npm start` does; the stack's own feature,
// scoring, ingest and monitor are stopped so they take no share of the load), and news.raw.v1 and
// news.enriched.v1 grown to --partitions (partitions only grow: run it on a broker of your own,
// e.g. `bash scripts/kafka/kafka.sh start` with KAFKA_PORT set).
// Usage: node dist/bench/consumer-scaling.js [--replicas 1,2,4] [--articles 6000] [--partitions 12]
//        [--sample-ms 1000] [--json]
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import {
  REPO_ROOT,
  ensureLocalKafka,
  ensureLocalPostgres,
  eventually,
  freePort,
  getJson,
  startGroupAtEnd,
  startNewsStack,
  startService,
  testKafka,
  type ServiceProcess,
} from '@mercato/dev-stack';
import { generateNews } from '@mercato/synthetic';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1,2,4' },
    articles: { type: 'string', default: '6000' },
    partitions: { type: 'string', default: '12' },
    'sample-ms': { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const REPLICAS = values.replicas.split(',').map(Number);
const ARTICLES = Number(values.articles);
const PARTITIONS = Number(values.partitions);
const SAMPLE_MS = Number(values['sample-ms']);
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Sample {
  t: number;
  feature: number;
  scoring: number;
}
interface Pass {
  replicas: number;
  articles: number;
  featurePerSecond: number;
  scoringPerSecond: number;
  featureDrainedS: number;
  scoringDrainedS: number;
  peakFeatureLag: number;
  peakScoringLag: number;
  samples: Sample[];
}
interface KedaSettings {
  minReplicaCount: number;
  maxReplicaCount: number;
  lagThreshold: number;
  activationLagThreshold: number;
  pollingInterval: number;
}

/** The chart's KEDA settings of a consumer (charts/mercato/values.yaml). */
function chartKeda(key: 'feature' | 'scoring'): KedaSettings {
  const chart = parseYaml(readFileSync(join(REPO_ROOT, 'charts/mercato/values.yaml'), 'utf8')) as Record<
    string,
    { autoscaling: { keda: KedaSettings } }
  >;
  return chart[key].autoscaling.keda;
}

/** What KEDA's Kafka scaler and the HPA make of a total lag: ceil(lag / lagThreshold) replicas, bounded. */
function kedaReplicas(lag: number, keda: KedaSettings, partitions: number): number {
  if (lag <= keda.activationLagThreshold) return keda.minReplicaCount;
  const wanted = Math.ceil(lag / keda.lagThreshold);
  return Math.max(keda.minReplicaCount, Math.min(wanted, keda.maxReplicaCount, partitions));
}

async function main(): Promise<void> {
  const broker = await ensureLocalKafka(log);
  process.env.KAFKA_BROKERS = broker.brokers;
  const postgres = await ensureLocalPostgres(log);
  process.env.DATABASE_URL = postgres.url;
  const run = `scale-${randomBytes(3).toString('hex')}`;
  const kafka = testKafka(`bench-${run}`);
  const admin = kafka.admin();
  await admin.connect();
  for (const topic of [Topics.newsRaw.name, Topics.newsEnriched.name]) {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const have = meta?.partitions.length ?? 0;
    if (have < PARTITIONS) {
      log(`growing ${topic} from ${have} to ${PARTITIONS} partitions`);
      await admin.createPartitions({ topicPartitions: [{ topic, count: PARTITIONS }] });
    }
  }

  const stack = await startNewsStack({ run, training: { count: 1500, epochs: 2 }, log });
  const producer = new EventProducer(kafka);
  const passes: Pass[] = [];
  try {
    for (const name of ['ingest', 'feature', 'scoring', 'sentiment-monitor'] as const)
      await stack.services[name].stop();
    const lag = async (groupId: string, topic: string): Promise<number> => {
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
      return ends.reduce(
        (sum, e) => sum + Math.max(0, Number(e.high) - Math.max(0, done.get(e.partition) ?? 0)),
        0,
      );
    };

    for (const replicas of REPLICAS) {
      const groups = {
        feature: `bench-feature-${run}-${replicas}`,
        scoring: `bench-scoring-${run}-${replicas}`,
      };
      await startGroupAtEnd(kafka, groups.feature, [
        Topics.newsRaw.name,
        Topics.interactionsRaw.name,
        Topics.catalogItems.name,
      ]);
      await startGroupAtEnd(kafka, groups.scoring, [Topics.newsEnriched.name, Topics.userFeatures.name]);
      const common = {
        DATABASE_URL: stack.db.url,
        KAFKA_BROKERS: process.env.KAFKA_BROKERS,
        MODEL_REGISTRY_URL: stack.url('model-registry'),
        LOG_LEVEL: 'warn',
      };
      const processes: ServiceProcess[] = [];
      try {
        const features = await Promise.all(
          Array.from({ length: replicas }, async () =>
            startService(
              'feature',
              { ...common, HTTP_PORT: String(await freePort()), KAFKA_CONSUMER_GROUP: groups.feature },
              240_000,
            ),
          ),
        );
        processes.push(...features);
        const scorers = await Promise.all(
          Array.from({ length: replicas }, async () =>
            startService(
              'scoring',
              {
                ...common,
                HTTP_PORT: String(await freePort()),
                GRPC_PORT: String(await freePort()),
                FEATURE_URL: features[0]!.url,
                SENTIMENT_MODEL_NAME: stack.modelName,
                KAFKA_CONSUMER_GROUP: groups.scoring,
              },
              240_000,
            ),
          ),
        );
        processes.push(...scorers);
        for (const s of scorers) {
          await eventually(
            async () =>
              (
                await getJson<{ sentiment?: { serving: { version: number } | null } }>(
                  `${s.url}/v1/models/current`,
                )
              ).sentiment?.serving?.version
                ? true
                : undefined,
            120_000,
            'scoring to load the model',
          );
        }
        // Every replica holds partitions before the load starts, as after a KEDA scale-up settles.
        for (const groupId of Object.values(groups)) {
          await eventually(
            async () => {
              const [g] = (await admin.describeGroups([groupId])).groups;
              return g?.state === 'Stable' && g.members.length >= replicas ? true : undefined;
            },
            120_000,
            `${replicas} members in ${groupId}`,
          );
        }

        const articles = generateNews({ seed: replicas, count: ARTICLES, start: new Date(), spacingMs: 50 });
        const samples: Sample[] = [];
        const t0 = Date.now();
        const sampler = (async () => {
          for (;;) {
            const s = {
              t: (Date.now() - t0) / 1000,
              feature: await lag(groups.feature, Topics.newsRaw.name),
              scoring: await lag(groups.scoring, Topics.newsEnriched.name),
            };
            samples.push(s);
            if (samples.length % Math.max(1, Math.round(2000 / SAMPLE_MS)) === 0)
              log(
                `  ${replicas} replica(s) t=${s.t.toFixed(0)}s lag feature ${s.feature} scoring ${s.scoring}`,
              );
            if (s.t > 5 && s.feature === 0 && s.scoring === 0 && samples.some((x) => x.feature > 0)) return;
            if (s.t > 900) throw new Error(`${replicas} replica(s): lag not drained after 900 s`);
            await sleep(SAMPLE_MS);
          }
        })();
        for (let i = 0; i < articles.length; i += 500) {
          await producer.send(
            Topics.newsRaw,
            articles.slice(i, i + 500).map((a) => ({
              key: `${run}-${replicas}-${a.id}`,
              tenantId: 'default',
              value: {
                tenantId: 'default',
                articleId: `${run}-${replicas}-${a.id}`,
                source: a.source,
                publishedAt: timestampFromDate(new Date(a.published_at)),
                receivedAt: timestampFromDate(new Date()),
                headline: a.headline,
                body: a.body,
                tickers: a.tickers,
                language: a.language,
                contentHash: randomBytes(8).toString('hex'),
              },
            })),
          );
        }
        const producedS = (Date.now() - t0) / 1000;
        await sampler;
        const drained = (key: 'feature' | 'scoring') =>
          samples.find((s) => s.t > producedS && s[key] === 0)?.t ?? NaN;
        const pass: Pass = {
          replicas,
          articles: ARTICLES,
          featureDrainedS: drained('feature'),
          scoringDrainedS: drained('scoring'),
          featurePerSecond: ARTICLES / drained('feature'),
          scoringPerSecond: ARTICLES / drained('scoring'),
          peakFeatureLag: Math.max(...samples.map((s) => s.feature)),
          peakScoringLag: Math.max(...samples.map((s) => s.scoring)),
          samples,
        };
        passes.push(pass);
        log(
          `${replicas} replica(s): produced in ${producedS.toFixed(1)} s; feature ${pass.featurePerSecond.toFixed(0)}/s (drained at ${pass.featureDrainedS.toFixed(1)} s), scoring ${pass.scoringPerSecond.toFixed(0)}/s (drained at ${pass.scoringDrainedS.toFixed(1)} s)`,
        );
      } finally {
        await Promise.all(processes.map((p) => p.stop()));
      }
    }
  } finally {
    await producer.disconnect();
    await admin.disconnect();
    await stack.stop();
    await postgres.stop();
    await broker.stop();
  }

  const keda = { feature: chartKeda('feature'), scoring: chartKeda('scoring') };
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ cores: cpus().length, partitions: PARTITIONS, keda, passes }, null, 2)}\n`,
    );
    return;
  }
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(
    `consumer scaling: ${ARTICLES} articles per pass on ${PARTITIONS} partitions, ${cpus().length} cores (load ${loadavg()[0]?.toFixed(1)})`,
  );
  out('replicas  feature/s  scoring/s  feature drained  scoring drained  peak lag feature  peak lag scoring');
  for (const p of passes)
    out(
      `${String(p.replicas).padStart(8)}  ${p.featurePerSecond.toFixed(0).padStart(9)}  ${p.scoringPerSecond.toFixed(0).padStart(9)}  ${`${p.featureDrainedS.toFixed(1)} s`.padStart(15)}  ${`${p.scoringDrainedS.toFixed(1)} s`.padStart(15)}  ${String(p.peakFeatureLag).padStart(16)}  ${String(p.peakScoringLag).padStart(16)}`,
    );
  out('lag curves (records behind, every ~2 s: feature / scoring)');
  for (const p of passes) {
    const step = Math.max(1, Math.round(2000 / SAMPLE_MS));
    out(
      `  ${p.replicas} replica(s): ${p.samples
        .filter((_, i) => i % step === 0)
        .map((s) => `${s.t.toFixed(0)}s ${s.feature}/${s.scoring}`)
        .join(', ')}`,
    );
  }
  for (const key of ['feature', 'scoring'] as const) {
    const k = keda[key];
    const one = passes.find((p) => p.replicas === 1);
    const rate = one ? (key === 'feature' ? one.featurePerSecond : one.scoringPerSecond) : NaN;
    out(
      `chart KEDA for ${key}: lagThreshold ${k.lagThreshold}, activation ${k.activationLagThreshold}, replicas ${k.minReplicaCount}..${k.maxReplicaCount} (at most ${PARTITIONS} partitions here), polling ${k.pollingInterval} s; one replica drains ${rate.toFixed(0)}/s, so lagThreshold is ${(k.lagThreshold / rate).toFixed(1)} s of one replica's work`,
    );
    for (const p of passes) {
      const peak = key === 'feature' ? p.peakFeatureLag : p.peakScoringLag;
      out(
        `  peak lag ${peak} with ${p.replicas} replica(s): KEDA asks ceil(${peak}/${k.lagThreshold}) = ${Math.ceil(peak / k.lagThreshold)}, bounded to ${kedaReplicas(peak, k, PARTITIONS)}`,
      );
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
