// The demo behind `npm start`: once the stack is up, make sure a production sentiment model exists
// (train one on generated finance news through the training service when there is none), then
// replay a generated two-hour news stream into ingest in which a few tickers get a burst of negative
// news at the end, and point at the dashboard where the alerts appear.
import { cliAuthHeaders } from './keys';
import { generateNews } from '@mercato/synthetic';
import { randomBytes } from 'node:crypto';
import { registryClient } from './models';
import { DEFAULT_INGEST_URL, IngestSender } from './replay';

const TRAINING_URL = 'http://127.0.0.1:8083';
const MONITOR_URL = 'http://127.0.0.1:8086';
const SURGING = ['TSLA', 'BA'];

const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

async function ensureModel(): Promise<void> {
  const registry = registryClient();
  const current = await registry.resolveAlias('sentiment', 'production');
  if (current !== undefined) {
    say(`demo: sentiment v${current} is in production`);
    return;
  }
  say('demo: no production sentiment model yet: training one on generated finance news');
  const res = await fetch(`${TRAINING_URL}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...cliAuthHeaders() },
    body: JSON.stringify({
      modelName: 'sentiment',
      kind: 'sentiment',
      datasetRef: 'synthetic:news?seed=1&count=4000',
      promoteIfBetter: true,
      requestedBy: 'demo',
    }),
  });
  if (!res.ok) throw new Error(`training service answered ${res.status}: ${await res.text()}`);
  const { requestId } = (await res.json()) as { requestId: string };
  for (let shown = 0; ;) {
    await new Promise((r) => setTimeout(r, 1_000));
    const poll = await fetch(`${TRAINING_URL}/v1/jobs/${requestId}`, { headers: cliAuthHeaders() });
    if (poll.status === 404) continue;
    const job = (await poll.json()) as {
      status: string;
      error: string | null;
      version: number | null;
      metrics: Record<string, number> | null;
      progress: { stage: string; epoch?: number; loss?: number }[];
    };
    for (const p of job.progress.slice(shown))
      say(`demo:   ${p.stage}${p.epoch ? ` ${p.epoch} loss ${p.loss?.toFixed(3)}` : ''}`);
    shown = job.progress.length;
    if (job.status === 'failed') throw new Error(`training failed: ${job.error}`);
    if (job.status === 'succeeded') {
      say(
        `demo: sentiment v${job.version} trained (accuracy ${job.metrics?.accuracy?.toFixed(3)}) and promoted`,
      );
      return;
    }
  }
}

async function replayStream(count: number): Promise<void> {
  const run = randomBytes(3).toString('hex');
  const spacingMs = Math.round((2 * 60 * 60 * 1000) / count);
  const start = new Date(Date.now() - count * spacingMs);
  const surgeFrom = Math.round(count * 0.85);
  const news = generateNews({
    seed: 2026,
    count,
    start,
    spacingMs,
    surges: SURGING.map((ticker) => ({ ticker, from: surgeFrom, to: count, negativeShare: 0.9, share: 0.3 })),
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
      body: `${a.headline}. Reported by ${a.source} at ${a.published_at} (demo ${run}).`,
      language: 'en',
    }));
    accepted += (await sender.send(batch)).accepted;
  }
  say(
    `demo: replayed ${news.length} generated articles over two hours of event time (${accepted} accepted); ${SURGING.join(' and ')} get a negative burst at the end`,
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
        items: { ticker: string; direction: string; severity: string; zScore?: number }[];
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
  await ensureModel();
  await replayStream(3_000);
  say(`demo: dashboard at ${MONITOR_URL}/ — alerts appear there as the monitor catches up`);
  await waitForAlerts(90_000);
}
