// The whole news pipeline under SIGKILL (Mercato issue 4), shared by the soak script
// (scripts/soak/news-fault.ts, 50,000 articles) and the e2e spec (a few thousand): a seeded stream in
// which one ticker gets a negative surge and the others stay mixed goes through ingest at a steady
// rate while feature, then scoring, then sentiment-monitor are SIGKILLed one at a time in the middle of
// their stream and restarted with the same consumer group. The run then reads what every stage left
// behind — the topics (tapped by a consumer of its own), the feature store and what the monitor
// persisted — and lists every broken promise in `problems`: an article lost or counted twice, a
// window whose count differs from what ingest accepted, a missing or duplicate alert. It never judges
// timing; durations are reported as figures.
//
// The topics are shared: while the run goes on, other people's feature, scoring and monitor processes
// (their specs start groups at the end of the same topics) may read this run's records too and write
// their own copies — enriched records with the same event ids, scored records by their model, alerts by
// their rules. Scored records are told apart by this run's model name and alerts by the ids in this
// run's alerts table; other writers' records are reported as foreign, never judged.
import { fromBinary } from '@bufbuild/protobuf';
import { ScoredArticleSchema, Topics } from '@mercato/contracts';
import type { Consumer } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { generateNews } from '@mercato/synthetic';
import { eventually, startGroupAtEnd, testKafka } from './scratch';
import { startNewsStack, type NewsStack, type NewsServiceName } from './news-stack';

export type FaultService = Extract<NewsServiceName, 'feature' | 'scoring' | 'sentiment-monitor'>;

export interface KillPlan {
  service: FaultService;
  /** Kill once the service's own output reaches this share of the stream (0–1). */
  at: number;
}

export interface NewsFaultOptions {
  articles: number;
  /** Articles per second sent to ingest. */
  rate: number;
  /** Articles per POST /v1/news. */
  batch?: number;
  /** Tickers in the stream; the first one surges. */
  tickers?: number;
  seed?: number;
  kills?: KillPlan[];
  /** Where the surge lies in the stream, as shares of it. */
  surge?: { from: number; to: number };
  /** Event time the stream spans (published_at), in ms. */
  eventSpanMs?: number;
  /** Longest wait for the pipeline to finish after the last article was sent. */
  drainTimeoutMs?: number;
  training?: { count: number; epochs: number };
  log?: (msg: string) => void;
}

export interface KillRecord {
  service: FaultService;
  plannedAt: number;
  /** Share of the stream the service had output when it was killed. */
  progressAtKill: number;
  /** Share of the stream ingest had accepted when the service was killed. */
  sentAtKill: number;
  /** From SIGKILL to the new process answering /healthz/ready (restarted at once). */
  readyMs: number;
  /**
   * How long the restarted process waited to join its consumer group: mostly the dead member's
   * session running out (KAFKA_SESSION_TIMEOUT_MS), as the broker keeps its partitions till then.
   */
  joinMs: number;
  /**
   * The recovery time: from SIGKILL to the first new output of the restarted process, i.e. until the
   * killed member's partitions move again.
   */
  resumedMs: number | null;
}

export interface WindowMismatch {
  ticker: string;
  size: string;
  start: string;
  expected: number;
  persisted: number;
}

export interface PersistedAlert {
  alertId: string;
  ticker: string;
  windowSize: string;
  windowStart: string;
  severity: string;
  upgradeOf: string | null;
  published: boolean;
}

export interface NewsFaultReport {
  run: string;
  articles: number;
  accepted: number;
  refused: number;
  surgeTicker: string;
  mixedTickers: string[];
  acceptedPerTicker: Record<string, number>;
  durationMs: { total: number; setup: number; send: number; drain: number };
  /** Articles per second ingest accepted, over the sending time. */
  sendRate: number;
  kills: KillRecord[];
  topics: {
    raw: { records: number; articles: number };
    enriched: {
      records: number;
      articles: number;
      /**
       * Copies beyond one per article: this run's feature republishing after its crash, and any copy
       * another feature process on the shared topic wrote (same event id; the two are not told apart).
       */
      redelivered: number;
      articlesWithSeveralEventIds: number;
    };
    scored: {
      /** Records by this run's scoring service (its model name); copies beyond one are re-scores. */
      records: number;
      /** Records of this run's articles scored by other people's scoring processes on the shared topic. */
      foreignRecords: number;
      pairs: number;
      /** This run's scoring re-scoring a redelivered (or second-copy) enriched record: same event id. */
      redelivered: number;
      missingPairs: number;
      unexpectedPairs: number;
      pairsWithSeveralEventIds: number;
    };
    /** This run's alerts on the topic (copies beyond one are relay retries after a crash, same id). */
    alerts: { records: number; alertIds: number; missingIds: number; foreignIds: number };
  };
  featureStore: { stored: number };
  monitor: {
    countedPerTicker: Record<string, number>;
    counted: { '5m': number; '1h': number };
    windowsCompared: number;
    windowMismatches: WindowMismatch[];
    late: number;
    processedEventIds: number;
    /** Redelivered records the monitor skipped as already counted (its duplicate counter, per process). */
    duplicatesSkipped: number;
  };
  /**
   * Raw records the restarted feature process found already stored and republished from the store
   * (its `redelivered` counter): the redelivery its crash caused.
   */
  featureRedelivered: number;
  alerts: PersistedAlert[];
  problems: string[];
}

const WINDOW_MS: Record<string, number> = { '5m': 5 * 60_000, '1h': 3_600_000 };
const HOUR = 3_600_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const letters = (n: number): string =>
  Array.from(randomBytes(n), (b) => String.fromCharCode(65 + (b % 26))).join('');

interface Tap {
  raw: Map<string, number>;
  enriched: Map<string, { copies: number; eventIds: Set<string> }>;
  /** By (article, ticker): records of this run's scoring service. */
  scored: Map<string, { copies: number; eventIds: Set<string> }>;
  /** Records of this run's articles scored by someone else's scoring process. */
  foreign: { scored: number };
  /** Copies per alert id, for the alerts keyed by this run's tickers. */
  alerts: Map<string, number>;
  stop(): Promise<void>;
}

/** One consumer of its own on the four news topics, keeping only this run's records (by key). */
async function tapTopics(
  run: string,
  articlePrefix: string,
  tickers: ReadonlySet<string>,
  modelName: string,
): Promise<Tap> {
  const kafka = testKafka();
  const groupId = `news-fault-tap-${run}`;
  const topics = [Topics.newsRaw, Topics.newsEnriched, Topics.newsScored, Topics.sentimentAlerts].map(
    (t) => t.name,
  );
  await startGroupAtEnd(kafka, groupId, topics);
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const tap: Tap = {
    raw: new Map(),
    enriched: new Map(),
    scored: new Map(),
    foreign: { scored: 0 },
    alerts: new Map(),
    stop: () => consumer.disconnect(),
  };
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const seen = (
    map: Map<string, { copies: number; eventIds: Set<string> }>,
    key: string,
    eventId: string,
  ): void => {
    const entry = map.get(key) ?? { copies: 0, eventIds: new Set<string>() };
    entry.copies++;
    entry.eventIds.add(eventId);
    map.set(key, entry);
  };
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const key = m.key?.toString('utf8') ?? '';
        const eventId = m.headers?.['event-id']?.toString() ?? '';
        if (batch.topic === Topics.newsRaw.name) {
          if (key.startsWith(articlePrefix)) tap.raw.set(key, (tap.raw.get(key) ?? 0) + 1);
        } else if (batch.topic === Topics.newsEnriched.name) {
          if (key.startsWith(articlePrefix)) seen(tap.enriched, key, eventId);
        } else if (batch.topic === Topics.newsScored.name) {
          if (!tickers.has(key) || !m.value) continue;
          const scored = fromBinary(ScoredArticleSchema, m.value);
          if (scored.modelName === modelName)
            seen(tap.scored, `${scored.articleId}\u0000${scored.ticker}`, eventId);
          else tap.foreign.scored++;
        } else if (tickers.has(key)) {
          tap.alerts.set(eventId, (tap.alerts.get(eventId) ?? 0) + 1);
        }
      }
    },
  });
  await eventually(async () => (joined ? true : undefined), 60_000, 'the topic tap to join its group');
  return tap;
}

/** A counter's value in a service's Prometheus text (0 when absent). */
const counterValue = async (url: string, name: string, label: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return Number(line?.split(' ').at(-1) ?? 0);
};
const duplicateCounter = (monitorUrl: string): Promise<number> =>
  counterValue(monitorUrl, 'mercato_sentiment_records_total', 'outcome="duplicate"');

export async function runNewsFault(options: NewsFaultOptions): Promise<NewsFaultReport> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const N = options.articles;
  const batchSize = options.batch ?? 100;
  const span = options.eventSpanMs ?? 2 * HOUR;
  const drainTimeoutMs = options.drainTimeoutMs ?? 600_000;
  const kills = options.kills ?? [
    { service: 'feature', at: 0.25 },
    { service: 'scoring', at: 0.5 },
    { service: 'sentiment-monitor', at: 0.75 },
  ];
  const surgeAt = options.surge ?? { from: 0.62, to: 0.72 };
  const run = randomBytes(3).toString('hex');
  const articlePrefix = `nf-${run}-`;

  // Unique tickers per run (other people's records flow through the same topics); cashtags are 1–5 capitals.
  const tickers: string[] = [];
  const prefixes = 'QZXWVYK';
  while (tickers.length < Math.min(options.tickers ?? 4, prefixes.length)) {
    const t = `${prefixes[tickers.length]}${letters(3)}`;
    if (!tickers.includes(t)) tickers.push(t);
  }
  const surgeTicker = tickers[0] as string;
  const tickerSet = new Set(tickers);
  const news = generateNews({
    seed: options.seed ?? 4242,
    count: N,
    start: new Date(Date.now() - span),
    spacingMs: span / N,
    tickers,
    surges: [
      {
        ticker: surgeTicker,
        from: Math.floor(surgeAt.from * N),
        to: Math.floor(surgeAt.to * N),
        negativeShare: 0.95,
        share: 0.7,
      },
    ],
  });
  const articles = news.map((a, i) => ({
    id: `${articlePrefix}${i}`,
    source: a.source,
    published_at: a.published_at,
    headline: a.headline,
    // Content dedupe is on headline + body and the templates repeat: the body makes each article unique.
    body: `${a.headline} (${run} ${i})`,
    tickers: a.tickers,
    language: 'en',
  }));

  // Nothing can be late: the allowed lateness exceeds the event time the whole stream spans, so the
  // counts must match ingest's exactly however much a crash reorders the stream.
  const stack: NewsStack = await startNewsStack({
    run,
    log,
    training: options.training,
    monitorEnv: {
      WINDOWS: '5m,1h',
      ALLOWED_LATENESS: `${Math.ceil(span / HOUR) + 1}h`,
      ALERT_RULES: JSON.stringify({ defaults: { minVolume: 25, minShare: 0.6, directions: ['negative'] } }),
      ALERT_RELAY_POLL_MS: '200',
    },
  });
  // A small pool: the kill watcher, the progress log and the checks query concurrently.
  const sql = new pg.Pool({ connectionString: stack.db.url, max: 3 });
  let tap: Tap | undefined;
  try {
    tap = await tapTopics(run, articlePrefix, tickerSet, stack.modelName);
    const taps = tap;
    const setupMs = Date.now() - started;
    log(`run ${run}: ${N} articles, tickers ${tickers.join(' ')} (surge: ${surgeTicker}), ${options.rate}/s`);

    const countedIn = async (size: '5m' | '1h'): Promise<number> => {
      const { rows } = await sql.query<{ n: number }>(
        `SELECT coalesce(sum(volume), 0)::int AS n FROM sentiment_monitor.windows
         WHERE ticker = ANY($1) AND window_size = $2`,
        [tickers, size],
      );
      return rows[0]?.n ?? 0;
    };
    const storedArticles = async (): Promise<number> => {
      const { rows } = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM feature.article_feature_keys WHERE article_id LIKE $1',
        [`${articlePrefix}%`],
      );
      return rows[0]?.n ?? 0;
    };
    // Each service's own output: other people's feature processes may enrich these articles too, so
    // feature's is what its store holds; scoring's is its model's records; the monitor's its windows.
    const progressOf = async (service: FaultService): Promise<number> => {
      if (service === 'feature') return storedArticles();
      if (service === 'scoring') return taps.scored.size;
      return countedIn('5m');
    };

    const accepted = new Set<string>();
    const acceptedIndex: number[] = [];
    let refused = 0;
    const problems: string[] = [];

    // The kills, one at a time, each armed once the previous service is back at work.
    let duplicatesBeforeKill = 0;
    const killRecords: KillRecord[] = [];
    const killer = (async () => {
      for (const plan of kills) {
        const deadline = Date.now() + drainTimeoutMs;
        while ((await progressOf(plan.service)) < plan.at * N && Date.now() < deadline) await sleep(100);
        if (plan.service === 'sentiment-monitor')
          duplicatesBeforeKill += await duplicateCounter(stack.url('sentiment-monitor')).catch(() => 0);
        const sentAtKill = accepted.size / N;
        const killedAt = Date.now();
        await stack.services[plan.service].kill();
        // Restarted at once, as a pod's container is; the watch below starts from what the dead
        // process had written, once the tap has caught up with it.
        const restarting = stack.restart(plan.service);
        restarting.catch(() => undefined);
        await sleep(1_000);
        const before = await progressOf(plan.service);
        log(
          `SIGKILL ${plan.service} at ${((before / N) * 100).toFixed(1)}% of its output ` +
            `(${(sentAtKill * 100).toFixed(1)}% sent); restarting with the same consumer group`,
        );
        let resumedMs: number | null = null;
        let restartFailed = false;
        const watching = (async () => {
          while (before < N && !restartFailed && Date.now() < killedAt + drainTimeoutMs) {
            if ((await progressOf(plan.service)) > before) {
              resumedMs = Date.now() - killedAt;
              return;
            }
            await sleep(100);
          }
        })();
        const svc = await restarting.catch((err: unknown) => {
          restartFailed = true;
          throw err;
        });
        const readyMs = Date.now() - killedAt;
        await watching;
        // Nothing was left to process: the partitions "move" once the new member holds them.
        if (before >= N) resumedMs = readyMs;
        const joinMs = Math.round(
          (await counterValue(svc.url, 'mercato_kafka_group_join_seconds_sum', 'group="').catch(() => 0)) *
            1000,
        );
        if (resumedMs === null) problems.push(`${plan.service} never resumed after its restart`);
        log(
          `${plan.service}: ready ${(readyMs / 1000).toFixed(1)} s (of which ${(joinMs / 1000).toFixed(1)} s ` +
            `joining the group) and at work again ` +
            `${resumedMs === null ? 'never' : `${(resumedMs / 1000).toFixed(1)} s`} after the kill`,
        );
        killRecords.push({
          service: plan.service,
          plannedAt: plan.at,
          progressAtKill: before / N,
          sentAtKill,
          readyMs,
          joinMs,
          resumedMs,
        });
      }
    })();
    // A failed kill or restart ends the run: the sender stops at its next batch and the error surfaces
    // there (handled at once, so it cannot crash the process as an unhandled rejection meanwhile).
    let killFailed: unknown;
    killer.catch((err: unknown) => (killFailed = err));

    const reporter = setInterval(() => {
      void Promise.all([storedArticles(), countedIn('5m')])
        .then(([stored, counted]) =>
          log(
            `  sent ${accepted.size}, stored by feature ${stored}, scored ${taps.scored.size}, counted ${counted}`,
          ),
        )
        .catch(() => undefined);
    }, 5_000);

    // A steady rate: batch k leaves at t0 + k·batch/rate, whatever the answers' latency.
    const sendStarted = Date.now();
    for (let k = 0; k * batchSize < N; k++) {
      if (killFailed !== undefined) break;
      await sleep(sendStarted + (k * batchSize * 1000) / options.rate - Date.now());
      const batch = articles.slice(k * batchSize, (k + 1) * batchSize);
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`${stack.url('ingest')}/v1/news`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ articles: batch }),
        }).catch((err: Error) => err);
        if (res instanceof Response && res.status === 202) {
          const body = (await res.json()) as { results: { index: number; id: string; status: string }[] };
          for (const r of body.results) {
            // A retried batch answers "duplicate" for what the lost answer had accepted.
            if ((r.status === 'accepted' || r.status === 'duplicate') && !accepted.has(r.id)) {
              accepted.add(r.id);
              acceptedIndex.push(k * batchSize + r.index);
            } else if (r.status === 'rejected') refused++;
          }
          break;
        }
        const reason = res instanceof Response ? `${res.status} ${await res.text()}` : res.message;
        if (attempt >= 10) throw new Error(`ingest refused batch ${k} ten times: ${reason}`);
        await sleep(500 * attempt);
      }
    }
    const sendMs = Date.now() - sendStarted;
    log(`sent ${N} articles in ${(sendMs / 1000).toFixed(1)} s; ${accepted.size} accepted`);
    await killer;

    // Drain: every accepted article scored on the topic and counted by the monitor.
    const drainStarted = Date.now();
    const total = accepted.size;
    await eventually(
      async () =>
        taps.scored.size >= total && (await countedIn('5m')) >= total && (await countedIn('1h')) >= total
          ? true
          : undefined,
      drainTimeoutMs,
      'the pipeline to drain',
    ).catch((err: Error) => {
      problems.push(err.message);
    });
    // Redeliveries still in flight would show up now.
    await sleep(3_000);
    const alertRows = async (): Promise<PersistedAlert[]> =>
      (
        await sql.query<{
          alert_id: string;
          ticker: string;
          window_size: string;
          window_start: Date;
          severity: string;
          upgrade_of: string | null;
          published_at: Date | null;
        }>(
          `SELECT alert_id, ticker, window_size, window_start, severity, upgrade_of, published_at
           FROM sentiment_monitor.alerts WHERE ticker = ANY($1) ORDER BY seq`,
          [tickers],
        )
      ).rows.map((r) => ({
        alertId: r.alert_id,
        ticker: r.ticker,
        windowSize: r.window_size,
        windowStart: r.window_start.toISOString(),
        severity: r.severity,
        upgradeOf: r.upgrade_of,
        published: r.published_at !== null,
      }));
    // The relay publishes the outbox shortly after each commit; wait for it and for the tap to see it.
    const alerts = await eventually(
      async () => {
        const rows = await alertRows();
        return rows.length > 0 && rows.every((a) => a.published && taps.alerts.has(a.alertId))
          ? rows
          : undefined;
      },
      30_000,
      'the alerts on sentiment.alerts.v1',
    ).catch(() => alertRows());
    const drainMs = Date.now() - drainStarted;
    clearInterval(reporter);

    // Expected windows from what ingest accepted.
    const acceptedPerTicker: Record<string, number> = Object.fromEntries(tickers.map((t) => [t, 0]));
    const expected = new Map<string, number>();
    for (const i of acceptedIndex) {
      const a = news[i]!;
      const t = Date.parse(a.published_at);
      for (const ticker of a.tickers) {
        acceptedPerTicker[ticker] = (acceptedPerTicker[ticker] ?? 0) + 1;
        for (const [size, ms] of Object.entries(WINDOW_MS)) {
          const key = `${ticker}\u0000${size}\u0000${Math.floor(t / ms) * ms}`;
          expected.set(key, (expected.get(key) ?? 0) + 1);
        }
      }
    }
    const { rows: windowRows } = await sql.query<{
      ticker: string;
      window_size: string;
      start: string;
      volume: number;
    }>(
      `SELECT ticker, window_size, (extract(epoch FROM window_start) * 1000)::bigint::text AS start, volume
       FROM sentiment_monitor.windows WHERE ticker = ANY($1)`,
      [tickers],
    );
    const persisted = new Map(
      windowRows.map((w) => [`${w.ticker}\u0000${w.window_size}\u0000${w.start}`, w.volume]),
    );
    const windowMismatches: WindowMismatch[] = [];
    for (const key of new Set([...expected.keys(), ...persisted.keys()])) {
      const [ticker, size, start] = key.split('\u0000') as [string, string, string];
      const e = expected.get(key) ?? 0;
      const p = persisted.get(key) ?? 0;
      if (e !== p)
        windowMismatches.push({
          ticker,
          size,
          start: new Date(Number(start)).toISOString(),
          expected: e,
          persisted: p,
        });
    }
    const countedPerTicker: Record<string, number> = Object.fromEntries(tickers.map((t) => [t, 0]));
    for (const w of windowRows)
      if (w.window_size === '5m') countedPerTicker[w.ticker] = (countedPerTicker[w.ticker] ?? 0) + w.volume;
    const { rows: lateRows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sentiment_monitor.late_records WHERE ticker = ANY($1)',
      [tickers],
    );
    const scoredEventIds = [...taps.scored.values()].flatMap((s) => [...s.eventIds]);
    const { rows: processedRows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sentiment_monitor.processed_events WHERE event_id = ANY($1)',
      [scoredEventIds],
    );
    const { rows: storedRows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM feature.article_features WHERE article_id LIKE $1',
      [`${articlePrefix}%`],
    );
    const featureRedelivered = await counterValue(
      stack.url('feature'),
      'mercato_feature_articles_enriched_total',
      'result="redelivered"',
    ).catch(() => 0);
    const duplicatesSkipped =
      duplicatesBeforeKill + (await duplicateCounter(stack.url('sentiment-monitor')).catch(() => 0));

    const expectedPairs = new Set<string>();
    for (const i of acceptedIndex)
      for (const t of news[i]!.tickers) expectedPairs.add(`${articles[i]!.id}\u0000${t}`);
    const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);
    const report: NewsFaultReport = {
      run,
      articles: N,
      accepted: total,
      refused,
      surgeTicker,
      mixedTickers: tickers.slice(1),
      acceptedPerTicker,
      durationMs: { total: Date.now() - started, setup: setupMs, send: sendMs, drain: drainMs },
      sendRate: total / (sendMs / 1000),
      kills: killRecords,
      topics: {
        raw: { records: sum(taps.raw.values()), articles: taps.raw.size },
        enriched: {
          records: sum([...taps.enriched.values()].map((e) => e.copies)),
          articles: taps.enriched.size,
          redelivered: sum([...taps.enriched.values()].map((e) => e.copies - 1)),
          articlesWithSeveralEventIds: [...taps.enriched.values()].filter((e) => e.eventIds.size > 1).length,
        },
        scored: {
          records: sum([...taps.scored.values()].map((e) => e.copies)),
          foreignRecords: taps.foreign.scored,
          pairs: taps.scored.size,
          redelivered: sum([...taps.scored.values()].map((e) => e.copies - 1)),
          missingPairs: [...expectedPairs].filter((p) => !taps.scored.has(p)).length,
          unexpectedPairs: [...taps.scored.keys()].filter((p) => !expectedPairs.has(p)).length,
          pairsWithSeveralEventIds: [...taps.scored.values()].filter((e) => e.eventIds.size > 1).length,
        },
        alerts: {
          records: sum(alerts.map((a) => taps.alerts.get(a.alertId) ?? 0)),
          alertIds: alerts.filter((a) => taps.alerts.has(a.alertId)).length,
          missingIds: alerts.filter((a) => !taps.alerts.has(a.alertId)).length,
          foreignIds: [...taps.alerts.keys()].filter((id) => !alerts.some((a) => a.alertId === id)).length,
        },
      },
      featureStore: { stored: storedRows[0]?.n ?? 0 },
      monitor: {
        countedPerTicker,
        counted: {
          '5m': sum(Object.values(countedPerTicker)),
          '1h': sum(windowRows.filter((w) => w.window_size === '1h').map((w) => w.volume)),
        },
        windowsCompared: expected.size,
        windowMismatches,
        late: lateRows[0]?.n ?? 0,
        processedEventIds: processedRows[0]?.n ?? 0,
        duplicatesSkipped,
      },
      featureRedelivered,
      alerts,
      problems,
    };
    report.problems.push(...judge(report));
    return report;
  } finally {
    await tap?.stop().catch(() => undefined);
    await sql.end().catch(() => undefined);
    await stack.stop();
  }
}

/** Every promise of the fault run the report shows broken (empty when all held). */
export function judge(r: NewsFaultReport): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok) problems.push(what);
  };
  check(r.accepted === r.articles, `ingest accepted ${r.accepted} of ${r.articles} articles`);
  check(
    r.topics.raw.articles === r.accepted,
    `${r.topics.raw.articles} of ${r.accepted} accepted articles on news.raw.v1`,
  );
  check(
    r.topics.raw.records === r.topics.raw.articles,
    `news.raw.v1 holds ${r.topics.raw.records - r.topics.raw.articles} duplicate records`,
  );
  check(
    r.topics.enriched.articles === r.accepted,
    `${r.topics.enriched.articles} of ${r.accepted} articles enriched`,
  );
  check(
    r.topics.enriched.articlesWithSeveralEventIds === 0,
    `${r.topics.enriched.articlesWithSeveralEventIds} articles enriched under several event ids`,
  );
  check(
    r.featureStore.stored === r.accepted,
    `the feature store holds ${r.featureStore.stored} of ${r.accepted} articles`,
  );
  check(
    r.topics.scored.missingPairs === 0,
    `${r.topics.scored.missingPairs} (article, ticker) pairs never scored`,
  );
  check(
    r.topics.scored.unexpectedPairs === 0,
    `${r.topics.scored.unexpectedPairs} scored (article, ticker) pairs nobody sent`,
  );
  check(
    r.topics.scored.pairsWithSeveralEventIds === 0,
    `${r.topics.scored.pairsWithSeveralEventIds} pairs scored under several event ids`,
  );
  for (const [ticker, n] of Object.entries(r.acceptedPerTicker))
    check(
      r.monitor.countedPerTicker[ticker] === n,
      `${ticker}: ${r.monitor.countedPerTicker[ticker]} counted, ${n} accepted`,
    );
  check(
    r.monitor.counted['1h'] === r.accepted,
    `1h windows count ${r.monitor.counted['1h']} of ${r.accepted}`,
  );
  check(
    r.monitor.windowMismatches.length === 0,
    `${r.monitor.windowMismatches.length} windows differ from what ingest accepted`,
  );
  check(r.monitor.late === 0, `${r.monitor.late} records not counted as late`);
  check(
    r.monitor.processedEventIds === r.topics.scored.pairs,
    `${r.monitor.processedEventIds} of ${r.topics.scored.pairs} scored event ids claimed by the monitor`,
  );
  const surges = r.alerts.filter((a) => a.ticker === r.surgeTicker && a.upgradeOf === null);
  check(surges.length === 1, `${surges.length} surge alerts for ${r.surgeTicker} (expected exactly one)`);
  const upgrades = r.alerts.filter((a) => a.ticker === r.surgeTicker && a.upgradeOf !== null);
  check(
    upgrades.every((a) => a.upgradeOf === surges[0]?.alertId),
    'an upgrade of an alert that is not the surge',
  );
  const others = r.alerts.filter((a) => a.ticker !== r.surgeTicker);
  check(others.length === 0, `alerts for mixed tickers: ${others.map((a) => a.ticker).join(', ')}`);
  check(
    r.alerts.every((a) => a.published),
    'an alert never published to sentiment.alerts.v1',
  );
  check(
    r.topics.alerts.missingIds === 0,
    `${r.topics.alerts.missingIds} of the ${r.alerts.length} alerts in the table never reached sentiment.alerts.v1`,
  );
  check(
    r.kills.length > 0 && r.kills.every((k) => k.progressAtKill > 0 && k.progressAtKill < 1),
    'a kill that did not land in the middle of its stream',
  );
  return problems;
}
