// The dashboard in real headless Chromium, against the monitor process on the real broker and
// database: data seeded through Kafka shows up as a ranking; clicking a ticker draws its chart
// (SVG share lines, volume bars, the baseline band each window was tested against, alert marker) and
// why its alert fired (share against the baseline band, evidence against its threshold, the model's
// confusion); the alert list shows the evidence headlines; and an
// alert raised while the page is open arrives live over the SSE stream, without a reload, linked to the
// trace viewer (TRACE_UI_URL) when its completing record carried a sampled trace. The monitor
// runs with authentication on: the page first asks for an API key, keeps it in sessionStorage, sends
// it as a bearer header and, to the SSE stream, as the access_token query parameter.
import { createTestDatabase, eventually, testKafka, type TestDatabase } from '@mercato/dev-stack';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getJson,
  hourAligned,
  MINUTE,
  mixedWindow,
  publish,
  scored,
  startMonitor,
  uniqueTicker,
  type Monitor,
  type Scored,
} from './monitor-harness';

const E = uniqueTicker('E');
const F = uniqueTicker('F');
const G = uniqueTicker('G');
const T0 = hourAligned(3);
const SCREENSHOTS = ['/tmp/sentiment-dashboard-1.png', '/tmp/sentiment-dashboard-2.png'];

let db: TestDatabase;
let keys: TestKeys;
let apiKey: string;
/** Console errors before the key was entered: the refused (401) first load. */
let errorsBeforeLogin = 0;
let monitor: Monitor;
let producer: Producer;
let browser: Browser;
let page: Page;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

const burst = (ticker: string, startMinute: number, what: string, traceparent = ''): Scored[] =>
  Array.from({ length: 25 }, (_, i) =>
    scored({
      ticker,
      label: 'negative',
      publishedAt: T0 + startMinute * MINUTE + i * 12_000,
      probability: 0.9 + i / 250,
      headline: `${ticker}: ${what} (${i})`,
      traceparent,
    }),
  );

const history = (ticker: string): Scored[] =>
  [0, 5, 10, 15, 20, 25].flatMap((m) => mixedWindow(ticker, T0 + m * MINUTE));

async function alertsOf(ticker: string): Promise<any[]> {
  return (await getJson(`${monitor.url}/v1/alerts?ticker=${ticker}`, bearer(apiKey))).body.items;
}

beforeAll(async () => {
  if (!chromiumAvailable())
    throw new Error('Chromium is required for the dashboard test: apt-get install -y chromium');
  db = await createTestDatabase('sentiment_monitor_dashboard');
  keys = await testKeys(db.url);
  // The scored records carry no tenant: the monitor's TENANT_ID, `default`.
  apiKey = (await keys.create({ tenantId: 'default', scopes: ['alerts:read', 'sentiment:read'] })).token;
  // Every severity needs the same evidence: one surge, one alert, however the stream is batched.
  monitor = await startMonitor(db.url, {
    WINDOWS: '5m,1h',
    AUTH_MODE: 'required',
    ALERT_RULES: JSON.stringify({ defaults: { evidence: { low: 1.5, medium: 1.5, high: 1.5 } } }),
    TRACE_UI_URL: 'http://traces.example/trace/{traceId}',
  });
  producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await publish(producer, [
    ...history(E),
    ...history(F),
    ...history(G),
    ...burst(E, 30, 'recalls flagship product'),
  ]);
  await eventually(
    async () => ((await alertsOf(E)).length === 1 ? true : undefined),
    30_000,
    'the alert of E',
  );
  await eventually(
    async () => {
      const { body } = await getJson(`${monitor.url}/v1/tickers/${F}/sentiment?window=5m`, bearer(apiKey));
      return body.totals.counted === 60 ? true : undefined;
    },
    30_000,
    'the history of F',
  );
  browser = await launchChromium();
  page = await browser.newPage();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await producer?.disconnect();
  await monitor?.stop();
  await keys?.close();
  await db?.drop();
});

describe('dashboard', () => {
  it('ranks tickers, draws the clicked ticker with its alert, and lists the evidence', async () => {
    await page.goto(`${monitor.url}/`);
    await page.waitFor(
      `!document.getElementById('login').hidden && document.getElementById('stream-status').textContent === 'enter an API key'`,
      15_000,
      'the API key prompt',
    );
    errorsBeforeLogin = page.consoleErrors.length;
    expect(page.consoleErrors.every((e) => e.includes('401'))).toBe(true);
    await page.evaluate(`document.getElementById('api-key').value = ${JSON.stringify(apiKey)}`);
    await page.click('#use-key');
    await page.waitFor(
      `document.getElementById('stream-status').textContent === 'live'`,
      15_000,
      'the live stream',
    );
    await page.waitFor(`document.querySelector('#ranking tr[data-ticker="${E}"]')`, 15_000, 'the ranking');
    const order = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#ranking tbody tr')].map((tr) => tr.dataset.ticker)`,
    );
    const ours = order.filter((t) => t === E || t === F || t === G);
    expect(ours[0]).toBe(E);
    expect(ours).toHaveLength(3);

    await page.click(`#ranking tr[data-ticker="${E}"]`);
    await page.waitFor(
      `document.querySelectorAll('#chart svg rect.volume').length === 7`,
      15_000,
      'the chart of E',
    );
    const chart = await page.evaluate<any>(`(() => {
      const neg = document.querySelector('#chart svg path.series-negative');
      const pos = document.querySelector('#chart svg path.series-positive');
      return {
        title: document.getElementById('chart-title').textContent,
        negative: neg && neg.getAttribute('d'),
        positive: pos && pos.getAttribute('d'),
        markers: [...document.querySelectorAll('#chart svg .alert-marker')].map((m) => m.dataset.alertId),
        bands: document.querySelectorAll('#chart svg rect.baseline-band').length,
        explained: document.querySelector('#chart svg rect.alert-band')?.dataset.alertId,
        why: document.getElementById('why').textContent,
        selected: document.querySelector('#ranking tr.selected')?.dataset.ticker,
        stats: document.getElementById('chart-stats').textContent,
      };
    })()`);
    const [alert] = await alertsOf(E);
    expect(chart.title).toBe(`${E} · 5m`);
    expect(chart.negative).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){6}$/);
    expect(chart.positive).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){6}$/);
    expect(chart.markers).toEqual([alert.alertId]);
    expect(chart.selected).toBe(E);
    expect(chart.stats).toContain('85 records counted');
    // Why it fired, on the plot: every window's baseline band, the alert's band, and the figures.
    expect(chart.bands).toBe(7);
    expect(chart.explained).toBe(alert.alertId);
    const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
    expect(chart.why).toContain(
      `high negative surge: ${alert.test.directionArticles} of ${alert.test.articles} articles negative (${pct(alert.share)})`,
    );
    expect(chart.why).toContain(
      `against a baseline of ${pct(alert.baseline.mean)} (band to ${pct(alert.baseline.high)}, history)`,
    );
    expect(chart.why).toContain(
      `evidence ${alert.test.evidence.toFixed(1)} ≥ ${alert.test.threshold.toFixed(1)} needed for high`,
    );
    expect(chart.why).toContain('sentiment@7: default confusion');

    const card = await page.waitFor<any>(
      `(() => {
        const li = document.querySelector('#alerts li.alert[data-alert-id="${alert.alertId}"]');
        return li && { text: li.querySelector('.head').textContent, why: li.querySelector('.why').textContent, evidence: [...li.querySelectorAll('ol.evidence li')].map((e) => e.firstChild.textContent) };
      })()`,
      10_000,
      'the alert card of E',
    );
    expect(card.text).toContain(E);
    expect(card.text).toContain('high');
    expect(card.evidence).toEqual(alert.evidence.map((e: any) => e.headline));
    expect(card.evidence[0]).toMatch(new RegExp(`^${E}: recalls flagship product \\(\\d+\\)$`));
    expect(card.why).toBe(chart.why);
    await page.screenshot(SCREENSHOTS[0] as string);
  });

  it('shows an alert raised while the page is open, live', async () => {
    await page.evaluate(`window.__sameDocument = true`);
    expect(await page.evaluate(`!!document.querySelector('#alerts li.alert[data-ticker="${F}"]')`)).toBe(
      false,
    );
    const sent = Date.now();
    await publish(producer, burst(F, 30, 'auditor resigns', `00-${TRACE_ID}-00f067aa0ba902b7-01`));
    const card = await page.waitFor<any>(
      `(() => {
        const li = document.querySelector('#alerts li.alert[data-ticker="${F}"]');
        return li && { fresh: li.classList.contains('fresh'), evidence: li.querySelectorAll('ol.evidence li').length, text: li.textContent, trace: li.querySelector('a.trace')?.href };
      })()`,
      20_000,
      'the live alert of F',
    );
    process.stdout.write(
      `[dashboard] live alert on the page ${Date.now() - sent} ms after the burst was published\n`,
    );
    expect(card.fresh).toBe(true);
    expect(card.evidence).toBe(5);
    expect(card.trace).toBe(`http://traces.example/trace/${TRACE_ID}`);
    // E's records carried no trace context: its card has no link.
    expect(
      await page.evaluate(`!!document.querySelector('#alerts li.alert[data-ticker="${E}"] a.trace')`),
    ).toBe(false);
    expect(card.text).toContain(`${F}: auditor resigns (`);
    expect(await page.evaluate(`window.__sameDocument === true`)).toBe(true);
    // The ranking follows: F's current negative evidence is now past its threshold.
    await page.waitFor(
      `document.querySelector('#ranking tr[data-ticker="${F}"] td.evidence')?.classList.contains('hot')`,
      10_000,
      'the ranking to show the surge of F',
    );
    await page.click(`#alerts li.alert[data-ticker="${F}"]`);
    await page.waitFor(
      `document.getElementById('chart-title').textContent === '${F} · 5m'`,
      10_000,
      'the chart of F',
    );
    await page.waitFor(
      `document.querySelectorAll('#chart svg .alert-marker').length === 1`,
      10_000,
      'the marker of F',
    );
    await page.screenshot(SCREENSHOTS[1] as string);
    expect(page.consoleErrors.slice(errorsBeforeLogin)).toEqual([]);
  });
});
