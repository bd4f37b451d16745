// Label corrections from the dashboard, in real headless Chromium, against the monitor and the
// feature service as real processes on the real broker and one database, with API keys: an analyst
// picks a class on a headline of an alert's evidence and clicks "correct"; the monitor checks the
// alert and the article are the caller's and passes the correction on with the analyst's own key,
// and the feature service stores it with who and when, and with what the model had said. Through the same endpoint: a label outside
// the model's classes is the feature service's 400, an evidence article the tenant's feature store
// does not hold (another tenant's) is its 404, an article not in the alert's evidence and another
// tenant's alert are 404, and a key without sentiment:feedback is 403. The drift panel shows the
// latest figures of the tenant's models from models.monitoring.v1: the feature service's feedback
// disagreement (from the correction made here) and scoring's prediction drift and unknown-word rate.
import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ModelKind, Topics } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  freePort,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { EventProducer } from '@mercato/kafka';
import {
  bearer,
  chromiumAvailable,
  launchChromium,
  testKeys,
  type Browser,
  type Page,
  type TestKeys,
} from '@mercato/testing';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  hourAligned,
  MINUTE,
  mixedWindow,
  publish,
  scored,
  sendJson,
  startMonitor,
  uniqueTicker,
  type Monitor,
  type Scored,
} from './monitor-harness';

const TICKER = uniqueTicker('C');
const T0 = hourAligned(3);
const RUN = uniqueSuffix();
/** The monitor's tenant (its TENANT_ID: the scored records carry none) and another one. */
const TENANT = 'default';
const OTHER = `o${RUN.replace(/[^a-z0-9]/g, '').slice(-10)}`;
const BURST = 25;
const articleId = (i: number): string => `fbk-${RUN}-${i}`;
/** Odd articles of the burst are another tenant's in the feature store. */
const ownerOf = (i: number): string => (i % 2 === 0 ? TENANT : OTHER);

let db: TestDatabase;
let keys: TestKeys;
let analyst: { token: string; id: string };
let reader: string;
let otherAnalyst: string;
let feature: ServiceProcess;
let monitor: Monitor;
let events: EventProducer;
let producer: Producer;
let browser: Browser;
let page: Page;
let alert: any;

const burst = (): Scored[] =>
  Array.from({ length: BURST }, (_, i) =>
    scored({
      ticker: TICKER,
      label: 'negative',
      articleId: articleId(i),
      publishedAt: T0 + 30 * MINUTE + i * 12_000,
      probability: 0.9 + i / 250,
      headline: `${TICKER}: plant fire halts output (${i})`,
    }),
  );

const correct = (token: string, alertId: string, body: unknown) =>
  sendJson('POST', `${monitor.url}/v1/alerts/${alertId}/feedback`, body, bearer(token));

async function storedFeedback(id: string): Promise<any[]> {
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    const { rows } = await sql.query(
      `SELECT tenant_id, article_id, label, served_label, served_model, served_version, submitted_by, text
         FROM feature.sentiment_feedback WHERE article_id = $1`,
      [id],
    );
    return rows;
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  if (!chromiumAvailable())
    throw new Error('Chromium is required for the dashboard test: apt-get install -y chromium');
  db = await createTestDatabase('sentiment_monitor_feedback');
  keys = await testKeys(db.url);
  const key = await keys.create({
    tenantId: TENANT,
    scopes: ['alerts:read', 'sentiment:read', 'sentiment:feedback'],
  });
  analyst = { token: key.token, id: key.record.id };
  reader = (await keys.create({ tenantId: TENANT, scopes: ['alerts:read', 'sentiment:read'] })).token;
  otherAnalyst = (await keys.create({ tenantId: OTHER, scopes: ['alerts:read', 'sentiment:feedback'] }))
    .token;

  const kafka = testKafka();
  const group = `test-feature-dashboard-feedback-${RUN}`;
  await startGroupAtEnd(kafka, group, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  feature = await startService('feature', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    KAFKA_CONSUMER_GROUP: group,
    HTTP_PORT: String(await freePort()),
    AUTH_MODE: 'required',
  });
  monitor = await startMonitor(db.url, {
    WINDOWS: '5m,1h',
    AUTH_MODE: 'required',
    FEATURE_URL: feature.url,
    ALERT_RULES: JSON.stringify({ defaults: { evidence: { low: 1.5, medium: 1.5, high: 1.5 } } }),
  });

  // The burst's articles as ingest would have written them: the feature store holds their text.
  events = new EventProducer(kafka);
  await events.connect();
  const published = timestampFromDate(new Date(T0 + 30 * MINUTE));
  await events.send(
    Topics.newsRaw,
    Array.from({ length: BURST }, (_, i) => ({
      key: articleId(i),
      eventId: randomUUID(),
      value: {
        articleId: articleId(i),
        tenantId: ownerOf(i),
        headline: `${TICKER}: plant fire halts output (${i})`,
        body: 'Production stopped at the main site.',
        source: 'newswire',
        publishedAt: published,
        contentHash: `${articleId(i)}-hash`,
      },
    })),
  );
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    await eventually(
      async () => {
        const { rows } = await sql.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM feature.article_feature_keys WHERE article_id LIKE $1',
          [`fbk-${RUN}-%`],
        );
        return rows[0]?.n === BURST ? true : undefined;
      },
      60_000,
      'the articles to be enriched and stored',
    );
  } finally {
    await sql.end();
  }

  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await publish(producer, [
    ...[0, 5, 10, 15, 20, 25].flatMap((m) => mixedWindow(TICKER, T0 + m * MINUTE)),
    ...burst(),
  ]);
  alert = await eventually(
    async () => {
      const { body } = await getJson(`${monitor.url}/v1/alerts?ticker=${TICKER}`, bearer(analyst.token));
      return body.items.length === 1 ? body.items[0] : undefined;
    },
    30_000,
    'the alert',
  );
  browser = await launchChromium();
  page = await browser.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await producer?.disconnect();
  await events?.disconnect();
  await monitor?.stop();
  await feature?.stop();
  await keys?.close();
  await db?.drop();
});

const evidenceOf = (owner: string): string => {
  const hit = alert.evidence.find((e: any) => ownerOf(Number(e.articleId.split('-').pop())) === owner);
  if (!hit) throw new Error(`no evidence article of ${owner} in ${JSON.stringify(alert.evidence)}`);
  return hit.articleId as string;
};

describe('label corrections from the dashboard', () => {
  it('stores the class an analyst picks on an evidence headline, with who corrected it', async () => {
    const target = evidenceOf(TENANT);
    await page.goto(`${monitor.url}/`);
    await page.waitFor(`!document.getElementById('login').hidden`, 15_000, 'the API key prompt');
    // The first load, without a key, was refused (401): the errors that count come after the key.
    const refusedLoad = page.consoleErrors.length;
    await page.evaluate(`document.getElementById('api-key').value = ${JSON.stringify(analyst.token)}`);
    await page.click('#use-key');
    const row = `#alerts li.alert[data-alert-id="${alert.alertId}"] ol.evidence li[data-article-id="${target}"]`;
    const offered = await page.waitFor<string>(
      `document.querySelector('${row} select.correct-label')?.value`,
      15_000,
      'the evidence row with its correction control',
    );
    // The headline was labelled negative (the alert's direction): another class is offered.
    expect(offered).toBe('neutral');
    await page.evaluate(`document.querySelector('${row} select.correct-label').value = 'positive'`);
    await page.click(`${row} button.correct`);
    const outcome = await page.waitFor<any>(
      `(() => { const s = document.querySelector('${row} .feedback'); return s && s.textContent && { text: s.textContent, refused: s.classList.contains('refused'), id: s.dataset.feedbackId }; })()`,
      15_000,
      'the outcome of the correction',
    );
    expect(outcome).toEqual({ text: 'corrected to positive', refused: false, id: expect.any(String) });
    // Clicking inside the correction is not a click on the alert: the chart was not drawn for it.
    expect(await page.evaluate(`document.getElementById('chart-title').textContent`)).toBe('select a ticker');

    const rows = await storedFeedback(target);
    expect(rows).toEqual([
      {
        tenant_id: TENANT,
        article_id: target,
        label: 'positive',
        // What the model had said: the alert's direction, by the one version that scored it.
        served_label: 'negative',
        served_model: 'sentiment',
        served_version: 7,
        submitted_by: `key:${analyst.id}`,
        text: expect.stringContaining('plant fire halts output'),
      },
    ]);
    expect(page.consoleErrors.slice(refusedLoad)).toEqual([]);
  });

  it('shows the refusal on the page when the feature service refuses', async () => {
    const foreign = evidenceOf(OTHER);
    const row = `#alerts li.alert[data-alert-id="${alert.alertId}"] ol.evidence li[data-article-id="${foreign}"]`;
    await page.click(`${row} button.correct`);
    const text = await page.waitFor<string>(
      `document.querySelector('${row} .feedback.refused')?.textContent`,
      15_000,
      'the refusal',
    );
    expect(text).toBe(`not stored: no article "${foreign}" in this tenant`);
    expect(await storedFeedback(foreign)).toEqual([]);
  });

  it('answers bad corrections with the field and the reason', async () => {
    const own = evidenceOf(TENANT);
    const bad = await correct(analyst.token, alert.alertId, { articleId: own, label: 'bullish' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: 'label', reason: expect.stringContaining('negative, neutral, positive') },
    ]);

    const foreign = await correct(analyst.token, alert.alertId, {
      articleId: evidenceOf(OTHER),
      label: 'neutral',
    });
    expect(foreign.status).toBe(404);
    expect(foreign.body.errors[0].field).toBe('articleId');

    const outside = await correct(analyst.token, alert.alertId, {
      articleId: articleId(0),
      label: 'neutral',
    });
    if (alert.evidence.some((e: any) => e.articleId === articleId(0)))
      throw new Error('article 0 was expected outside the evidence (the least confident of the burst)');
    expect(outside.status).toBe(404);
    expect(outside.body.errors).toEqual([
      {
        field: 'articleId',
        reason: `article "${articleId(0)}" is not in the evidence of alert ${alert.alertId}`,
      },
    ]);

    const otherTenant = await correct(otherAnalyst, alert.alertId, { articleId: own, label: 'neutral' });
    expect(otherTenant.status).toBe(404);

    const noScope = await correct(reader, alert.alertId, { articleId: own, label: 'neutral' });
    expect(noScope.status).toBe(403);

    const missing = await correct(analyst.token, alert.alertId, { label: 'neutral' });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].field).toBe('articleId');

    // Only the dashboard's correction was stored.
    expect((await storedFeedback(own)).map((r) => r.label)).toEqual(['positive']);
  });

  it('shows the drift signals of the tenant’s models, the drifted ones marked', async () => {
    // Scoring's window of the model (published here as scoring would): new words the model cannot read.
    await events.send(Topics.modelMonitoring, [
      {
        key: 'sentiment',
        tenantId: TENANT,
        value: {
          tenantId: TENANT,
          modelName: 'sentiment',
          kind: ModelKind.SENTIMENT,
          version: '7',
          windowStart: timestampFromDate(new Date(Date.now() - 60_000)),
          windowEnd: timestampFromDate(new Date()),
          sample: 500,
          figures: {
            psi_predicted_class: 0.04,
            psi_confidence: 0.07,
            unknown_rate: 0.12,
            reference_unknown_rate: 0.02,
            unknown_rate_margin: 0.05,
          },
          drifted: ['unknown_rate'],
          threshold: 0.25,
        },
      },
    ]);
    const rows = await page.waitFor<any[]>(
      `(() => {
        const rows = [...document.querySelectorAll('#drift tr[data-model="sentiment"]')].map((tr) => ({
          signal: tr.dataset.signal,
          cells: [...tr.children].map((td) => td.textContent),
        }));
        return rows.length === 4 ? rows : null;
      })()`,
      20_000,
      'the drift panel with scoring’s and the feature service’s signals',
    );
    expect(rows).toEqual([
      { signal: 'psi_predicted_class', cells: ['sentiment@7', 'PSI of predicted classes', '0.04', 'ok'] },
      { signal: 'psi_confidence', cells: ['sentiment@7', 'PSI of confidence', '0.07', 'ok'] },
      { signal: 'unknown_rate', cells: ['sentiment@7', 'unknown words', '12% (held-out 2%)', 'drifted'] },
      // The one correction stored by the first test disagreed with what the model had said.
      {
        signal: 'feedback_disagreement',
        cells: ['sentiment@7', 'feedback disagreement', '100% of 1 corrections', 'ok'],
      },
    ]);
    expect(
      await page.evaluate(`document.querySelector('#drift tr[data-signal="unknown_rate"]').className`),
    ).toBe('drifted');
    const otherReader = (await keys.create({ tenantId: OTHER, scopes: ['sentiment:read'] })).token;
    const { status, body } = await getJson(`${monitor.url}/v1/models/monitoring`, bearer(otherReader));
    expect(status).toBe(200);
    // Another tenant sees none of these.
    expect(body.items.filter((m: any) => m.model === 'sentiment')).toEqual([]);
    await page.screenshot('/tmp/sentiment-dashboard-drift.png');
  });
});
