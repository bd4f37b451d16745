// The demo behind `npm start` (after `mercato up` has registered the default sentiment model, see
// default-model.ts): it replays two hours of real TFNS headlines into ingest, with tickers assigned by
// a seeded scenario in which two tickers get a burst of real negative headlines at the end, and
// points at the dashboard where the alerts appear.
import { REPO_ROOT } from '@mercato/dev-stack';
import { parseLabelMap, readTextLabelCsv, type LabeledText, type SENTIMENT_LABELS } from '@mercato/ml';
import { generateNews, seededShuffle } from '@mercato/synthetic';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cliAuthHeaders } from './keys';
import { DEFAULT_INGEST_URL, IngestSender } from './replay';

const MONITOR_URL = 'http://127.0.0.1:8086';
const SURGING = ['TSLA', 'BA'];
const TFNS_DIR = join(REPO_ROOT, 'libs/ml/assets/tfns');
/** TFNS labels: 0 bearish, 1 bullish, 2 neutral. */
const TFNS_LABELS = '0=negative,1=positive,2=neutral';

const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

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
