// The demo behind `npm start`, and the platform's default sentiment model behind every `mercato up`.
// The default model is the student distilled from the fine-tuned all-MiniLM-L6-v2 teacher on TFNS
// (real finance headlines), shipped in libs/ml/assets/sentiment-default (see its README for how it
// was built and what it scores): `mercato up` registers it as the platform tenant's `sentiment`
// model when the platform has none, so every tenant's news is scored from the start. The demo then
// replays two hours of real TFNS headlines into ingest, with tickers assigned by a seeded scenario in
// which two tickers get a burst of real negative headlines at the end, and points at the dashboard.
import { PLATFORM_TENANT, authHeaders } from '@mercato/auth';
import { REPO_ROOT } from '@mercato/dev-stack';
import {
  type SENTIMENT_LABELS,
  parseLabelMap,
  readArtifact,
  readManifest,
  readTextLabelCsv,
  type LabeledText,
} from '@mercato/ml';
import { RegistryClient } from '@mercato/registry-client';
import { generateNews, seededShuffle } from '@mercato/synthetic';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cliAuthHeaders, stackServiceKey } from './keys';
import { DEFAULT_REGISTRY_URL } from './models';
import { DEFAULT_INGEST_URL, IngestSender } from './replay';

const MONITOR_URL = 'http://127.0.0.1:8086';
const SURGING = ['TSLA', 'BA'];
export const DEFAULT_MODEL_DIR = join(REPO_ROOT, 'libs/ml/assets/sentiment-default');
const TFNS_DIR = join(REPO_ROOT, 'libs/ml/assets/tfns');
/** TFNS labels: 0 bearish, 1 bullish, 2 neutral. */
const TFNS_LABELS = '0=negative,1=positive,2=neutral';

const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

/**
 * Registers and promotes the shipped default model as the platform's `sentiment` when the platform
 * has no production version yet (a platform credential acts for the platform tenant). Returns the
 * serving version.
 */
export async function ensureDefaultSentimentModel(log: (msg: string) => void = say): Promise<number> {
  const registry = new RegistryClient(
    process.env.MODEL_REGISTRY_URL ?? DEFAULT_REGISTRY_URL,
    60_000,
    authHeaders(stackServiceKey()),
  ).forTenant(PLATFORM_TENANT);
  const current = await registry.resolveAlias('sentiment', 'production');
  if (current !== undefined) {
    log(`sentiment: the platform's v${current} is in production`);
    return current;
  }
  const artifact = await readArtifact(DEFAULT_MODEL_DIR);
  const manifest = readManifest(artifact);
  await registry.ensureModel('sentiment', 'sentiment', 'default sentiment model (student distilled on TFNS)');
  const registered = await registry.register('sentiment', {
    metrics: manifest.metrics,
    lineage: {
      source: 'libs/ml/assets/sentiment-default',
      ...((manifest.extra as { lineage?: Record<string, unknown> } | undefined)?.lineage ?? {}),
    },
    idempotencyKey: `default-sentiment-${manifest.createdAt}`,
    files: artifact.files,
  });
  await registry.promote('sentiment', {
    version: registered.version,
    alias: 'production',
    actor: 'mercato up',
    reason: 'the shipped default model (libs/ml/assets/sentiment-default)',
  });
  log(
    `sentiment: registered the shipped default model as the platform's v${registered.version} (TFNS accuracy ${manifest.metrics.accuracy?.toFixed(3)}, macro-F1 ${manifest.metrics.macro_f1?.toFixed(3)})`,
  );
  return registered.version;
}

/** Real TFNS headlines by label, in a seeded order. */
function headlinesByLabel(seed: number): Record<(typeof SENTIMENT_LABELS)[number], string[]> {
  const labelMap = parseLabelMap(TFNS_LABELS);
  const all: LabeledText[] = ['sent_train.csv', 'sent_valid.csv'].flatMap((f) =>
    readTextLabelCsv(join(TFNS_DIR, f), labelMap),
  );
  const shuffled = seededShuffle(all, seed);
  return {
    negative: shuffled.filter((d) => d.label === 0).map((d) => d.text),
    neutral: shuffled.filter((d) => d.label === 1).map((d) => d.text),
    positive: shuffled.filter((d) => d.label === 2).map((d) => d.text),
  };
}

async function replayStream(count: number): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const spacingMs = Math.round((2 * 60 * 60 * 1000) / count);
  const start = new Date(Date.now() - count * spacingMs);
  const surgeFrom = Math.round(count * 0.85);
  // The scenario (which ticker, when, which sentiment, the bursts) is seeded; every headline is a
  // real one of that sentiment from TFNS, with the scenario's ticker given explicitly.
  const scenario = generateNews({
    seed: 2026,
    count,
    start,
    spacingMs,
    mix: { negative: 0.15, neutral: 0.55, positive: 0.3 },
    surges: SURGING.map((ticker) => ({ ticker, from: surgeFrom, to: count, negativeShare: 0.9, share: 0.3 })),
  });
  const headlines = headlinesByLabel(2026);
  const used = { negative: 0, neutral: 0, positive: 0 };
  const news = scenario.map((a) => {
    const pool = headlines[a.sentiment];
    const headline = pool[used[a.sentiment]++ % pool.length] as string;
    return { ...a, headline };
  });
  const sender = new IngestSender(process.env.INGEST_URL ?? DEFAULT_INGEST_URL, 120_000, (reason) =>
    say(`demo: retrying: ${reason}`),
  );
  let accepted = 0;
  for (let i = 0; i < news.length; i += 250) {
    // Each article gets its own id and body so ingest's content dedupe keeps them all.
    const batch = news.slice(i, i + 250).map((a) => ({
      id: `demo-${run}-${a.id}`,
      source: a.source,
      published_at: a.published_at,
      headline: a.headline,
      body: `${a.headline} (demo ${run}, ${a.id})`,
      tickers: a.tickers,
      language: 'en',
    }));
    accepted += (await sender.send(batch)).accepted;
  }
  say(
    `demo: replayed ${news.length} real TFNS headlines over two hours of event time (${accepted} accepted); ${SURGING.join(' and ')} get a burst of negative headlines at the end`,
  );
}

async function waitForAlerts(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${MONITOR_URL}/v1/alerts?limit=20`, { headers: cliAuthHeaders() }).catch(
      () => undefined,
    );
    if (res?.ok) {
      const body = (await res.json()) as {
        items: { ticker: string; direction: string; severity: string }[];
      };
      if (body.items.length > 0) {
        for (const a of body.items) say(`demo: alert ${a.ticker} ${a.direction} ${a.severity}`);
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  say('demo: no alert yet; the stream may still be flowing — watch the dashboard');
}

export async function runDemo(): Promise<void> {
  await replayStream(3_000);
  say(`demo: dashboard at ${MONITOR_URL}/ — alerts appear there as the monitor catches up`);
  await waitForAlerts(90_000);
}
