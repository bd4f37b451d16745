// The long fault run of the news pipeline (Mercato issue 4): N articles (50,000 by default) through an
// isolated stack of the six services on the shared broker and Postgres, with feature, scoring and
// sentiment-monitor SIGKILLed one at a time in the middle of their stream and restarted with the same
// consumer group. Prints the report (counts, kills, recovery times, redeliveries, duration) and exits 1
// when an article was lost or counted twice, a window count differs from ingest's, or the surge did
// not give exactly one alert. The orchestration is runNewsFault() in libs/dev-stack, which the e2e spec
// scripts/cli/test/news-fault.e2e.int-spec.ts runs at a few thousand articles.
// Usage: node scripts/build.mjs && node dist/scripts/soak/news-fault.js [--articles 50000] [--rate 200]
//        [--batch 100] [--tickers 4] [--seed 4242] [--out report.json] [--json]
import { createKafka, ensureTopics } from '@mercato/kafka';
import { runNewsFault, type NewsFaultReport, withLocalInfra } from '@mercato/dev-stack';
import { createLogger } from '@mercato/telemetry';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    articles: { type: 'string', default: '50000' },
    rate: { type: 'string', default: '200' },
    batch: { type: 'string', default: '100' },
    tickers: { type: 'string', default: '4' },
    seed: { type: 'string', default: '4242' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const log = (msg: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};
const seconds = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);
const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

function print(r: NewsFaultReport): void {
  const lines = [
    `news fault run ${r.run}: ${r.articles} articles, ${r.accepted} accepted, ${r.refused} refused`,
    `tickers: ${r.surgeTicker} (negative surge) and ${r.mixedTickers.join(', ')} (mixed); accepted per ticker ${JSON.stringify(r.acceptedPerTicker)}`,
    `duration: ${seconds(r.durationMs.total)} (set-up and first model ${seconds(r.durationMs.setup)}, ` +
      `sending ${seconds(r.durationMs.send)} at ${r.sendRate.toFixed(1)} articles/s, drain after the last send ${seconds(r.durationMs.drain)})`,
    'kills:',
    ...r.kills.map(
      (k) =>
        `  ${k.service.padEnd(17)} SIGKILL at ${pct(k.progressAtKill)} of its output (${pct(k.sentAtKill)} sent); ` +
        `partitions moving again ${seconds(k.resumedMs)} after the kill (ready ${seconds(k.readyMs)}, ` +
        `of which ${seconds(k.joinMs)} joining the consumer group)`,
    ),
    `recovery (SIGKILL to partitions moving again): ${r.kills.map((k) => `${k.service} ${seconds(k.resumedMs)}`).join(', ')}`,
    'topics (this run only):',
    `  news.raw.v1        ${r.topics.raw.records} records, ${r.topics.raw.articles} articles`,
    `  news.enriched.v1   ${r.topics.enriched.records} records, ${r.topics.enriched.articles} articles, ` +
      `${r.topics.enriched.redelivered} further copies (same event id: republished after the crash, or written by ` +
      `another feature process on the shared topic), ` +
      `${r.topics.enriched.articlesWithSeveralEventIds} under several event ids`,
    `  news.scored.v1     ${r.topics.scored.records} records, ${r.topics.scored.pairs} (article, ticker) pairs, ` +
      `${r.topics.scored.redelivered} re-scored copies (same event id), ${r.topics.scored.missingPairs} missing, ` +
      `${r.topics.scored.unexpectedPairs} unexpected, ${r.topics.scored.pairsWithSeveralEventIds} under several event ids`,
    `  sentiment.alerts.v1 ${r.topics.alerts.records} records of ${r.topics.alerts.alertIds} alert ids ` +
      `(${r.topics.alerts.missingIds} of the table's alerts missing)`,
    `  written by other people's processes on the shared topics (not judged): ${r.topics.scored.foreignRecords} ` +
      `scored records of this run's articles, ${r.topics.alerts.foreignIds} alert ids on this run's tickers`,
    `feature store: ${r.featureStore.stored} articles; the restarted feature process republished ${r.featureRedelivered} already-stored articles`,
    `monitor: counted ${JSON.stringify(r.monitor.countedPerTicker)} (5m total ${r.monitor.counted['5m']}, 1h total ${r.monitor.counted['1h']}); ` +
      `${r.monitor.windowsCompared} windows compared with ingest, ${r.monitor.windowMismatches.length} differ; ` +
      `${r.monitor.late} late; ${r.monitor.processedEventIds} event ids claimed; ${r.monitor.duplicatesSkipped} redelivered records skipped`,
    'alerts:',
    ...r.alerts.map(
      (a) =>
        `  ${a.ticker} ${a.windowSize} ${a.windowStart} ${a.severity}${a.upgradeOf ? ` (upgrade of ${a.upgradeOf})` : ''} ${a.alertId}`,
    ),
    r.problems.length === 0 ? 'RESULT: every promise held' : `RESULT: ${r.problems.length} problem(s):`,
    ...r.problems.map((p) => `  - ${p}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main({ brokers }: { brokers: string }): Promise<void> {
  await ensureTopics(
    createKafka({
      clientId: 'mercato-soak',
      brokers: brokers.split(','),
      logger: createLogger('soak', 'warn'),
    }),
  );
  const report = await runNewsFault({
    articles: Number(values.articles),
    rate: Number(values.rate),
    batch: Number(values.batch),
    tickers: Number(values.tickers),
    seed: Number(values.seed),
    drainTimeoutMs: 1_800_000,
    log,
  });
  if (values.out) await writeFile(values.out, `${JSON.stringify(report, null, 2)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else print(report);
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}

// The shared broker and Postgres when they run (or KAFKA_BROKERS / DATABASE_URL), else local ones.
withLocalInfra(log, main).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
