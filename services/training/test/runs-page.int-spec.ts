// The runs page in real headless Chromium, against the training service (authentication on) with a
// real registry, broker and database: the page asks for an API key, lists the tenant's runs, filters
// them by tag, overlays the curves of two selected runs (a NaN/Infinity value is a gap in its line),
// shows the parameters that differ and the final evaluation side by side, and a registry version's
// link (?model=&version=) opens the run that produced it. The plot is checked on a screenshot: the
// pixels of each run's colour are counted in the captured chart.
import { Topics } from '@mercato/contracts';
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
import {
  bearer,
  chromiumAvailable,
  launchChromium,
  testKeys,
  type Browser,
  type Page,
  type TestKeys,
} from '@mercato/testing';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUN = uniqueSuffix()
  .replace(/[^a-z0-9]/g, '')
  .slice(-10);
const TENANT = `runs${RUN}`;
const MODEL = `page-cnn-${RUN}`;
const SCREENSHOT = '/tmp/training-runs-page.png';
/** The page's first two run colours (runs.html COLORS). */
const FIRST = [0x5a, 0xa9, 0xff];
const SECOND = [0xff, 0x9f, 0x43];

let db: TestDatabase;
let keys: TestKeys;
let apiKey: string;
let registry: ServiceProcess;
let training: ServiceProcess;
let browser: Browser;
let page: Page;
let jobRun: string;
const offline = [randomUUID(), randomUUID()];

async function api(path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
  const res = await fetch(`${training.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...bearer(apiKey), 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  expect(res.status).toBeLessThan(300);
  return res.json();
}

/** An offline run whose loss falls by `rate` per epoch; `gapAt` makes one epoch's loss NaN. */
function offlineRun(runId: string, learningRate: number, gapAt?: number) {
  const at = new Date().toISOString();
  return {
    format: 'mercato-run/1',
    runId,
    model: `page-offline-${RUN}`,
    kind: 'sentiment',
    architecture: 'cnn',
    source: 'offline',
    status: 'finished',
    params: { hyperparameters: { learningRate, epochs: 8 }, datasetRef: 'file:///data/news.csv' },
    tags: ['sweep'],
    metrics: { accuracy: 0.75 + learningRate, macro_f1: 0.7 + learningRate },
    error: null,
    startedAt: at,
    finishedAt: at,
    series: {
      'epoch/loss': Array.from({ length: 8 }, (_, i) => ({
        step: i + 1,
        value: i + 1 === gapAt ? 'NaN' : 1.2 / (1 + i * learningRate * 10),
        at,
      })),
    },
  };
}

beforeAll(async () => {
  if (!chromiumAvailable())
    throw new Error('Chromium is required for the runs page test: apt-get install -y chromium');
  db = await createTestDatabase('training_runs_page');
  keys = await testKeys(db.url);
  apiKey = (await keys.create({ tenantId: TENANT })).token;
  const env = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'), AUTH_MODE: 'required' };
  const serviceKey = (await keys.create({ tenantId: 'platform', platform: true })).token;
  registry = await startService('model-registry', {
    ...env,
    HTTP_PORT: String(await freePort()),
    KAFKA_CONSUMER_GROUP: `registry-page-${RUN}`,
  });
  const group = `training-page-${RUN}`;
  await startGroupAtEnd(testKafka(), group, [Topics.trainingRequests.name]);
  training = await startService('training', {
    // No feature service here: sentiment jobs join no analyst feedback.
    SENTIMENT_FEEDBACK_WEIGHT: '0',
    ...env,
    HTTP_PORT: String(await freePort()),
    KAFKA_CONSUMER_GROUP: group,
    MODEL_REGISTRY_URL: registry.url,
    MERCATO_SERVICE_API_KEY: serviceKey,
  });
  for (const [i, runId] of offline.entries())
    await api('/v1/runs', {
      method: 'POST',
      body: offlineRun(runId as string, [0.05, 0.2][i] as number, i === 1 ? 4 : undefined),
    });
  const { requestId } = await api('/v1/jobs', {
    method: 'POST',
    body: {
      modelName: MODEL,
      kind: 'sentiment',
      architecture: 'cnn',
      datasetRef: 'synthetic:news?seed=5&count=600',
      hyperparameters: { epochs: 2, embeddingDim: 16, filters: 16, hidden: 8, maxLength: 24 },
      tags: ['job'],
    },
  });
  const job = await eventually(
    async () => {
      const j = await api(`/v1/jobs/${requestId}`);
      if (j.status === 'failed') throw new Error(`job failed: ${j.error}`);
      return j.status === 'succeeded' ? j : undefined;
    },
    120_000,
    'the training job',
  );
  jobRun = job.runId;
  browser = await launchChromium();
  page = await browser.newPage();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await training?.stop();
  await registry?.stop();
  await keys?.close();
  await db?.drop();
});

/** Pixels of a screenshot near an RGB colour, decoded by Chromium itself (an <img> on a canvas). */
async function colourPixels(png: Buffer, colours: number[][]): Promise<number[]> {
  return page.evaluate<number[]>(`(async () => {
    const img = new Image();
    img.src = 'data:image/png;base64,${png.toString('base64')}';
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    const colours = ${JSON.stringify(colours)};
    const counts = colours.map(() => 0);
    for (let i = 0; i < data.length; i += 4)
      colours.forEach(([r, g, b], c) => {
        if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60) counts[c]++;
      });
    return counts;
  })()`);
}

describe('runs page', () => {
  it('asks for an API key, then lists the runs and filters them by tag', async () => {
    await page.goto(`${training.url}/`);
    await page.waitFor(`!document.getElementById('login').hidden`, 15_000, 'the API key prompt');
    await page.evaluate(`document.getElementById('api-key').value = ${JSON.stringify(apiKey)}`);
    await page.click('#use-key');
    await page.waitFor(
      `document.querySelectorAll('#runs tbody tr[data-run-id]').length === 3`,
      15_000,
      'the three runs',
    );
    await page.evaluate(`(() => {
      const select = document.getElementById('filter-tag');
      select.value = 'sweep';
      select.dispatchEvent(new Event('change'));
    })()`);
    const ids = await page.waitFor<string[]>(
      `(() => {
        const ids = [...document.querySelectorAll('#runs tbody tr[data-run-id]')].map((tr) => tr.dataset.runId);
        return ids.length === 2 && ids;
      })()`,
      10_000,
      'the runs tagged sweep',
    );
    expect(ids.sort()).toEqual([...offline].sort());
    expect(await page.evaluate(`location.search`)).toBe('?tag=sweep');
  });

  it('overlays the curves of two runs with a gap, and shows what differs', async () => {
    await page.click(`#runs tr[data-run-id="${offline[0]}"]`);
    await page.click(`#runs tr[data-run-id="${offline[1]}"]`);
    const chart = await page.waitFor<any>(
      `(() => {
        const paths = [...document.querySelectorAll('.chart[data-series="epoch/loss"] path.run-line')];
        return paths.length === 2 && {
          paths: paths.map((p) => ({ run: p.dataset.runId, d: p.getAttribute('d'), stroke: p.getAttribute('stroke') })),
          note: document.querySelector('.chart[data-series="epoch/loss"] .note')?.textContent,
          title: document.getElementById('curves-title').textContent,
        };
      })()`,
      10_000,
      'two overlaid curves',
    );
    expect(chart.title).toBe('2 runs overlaid');
    expect(chart.note).toBe('1 non-finite value (gaps)');
    const byRun = Object.fromEntries(chart.paths.map((p: any) => [p.run, p]));
    // Eight points in one stroke; the other broken at epoch 4 into 3 + 4 points.
    expect(byRun[offline[0] as string].d.match(/[ML]/g)).toHaveLength(8);
    expect(byRun[offline[1] as string].d.match(/M/g)).toHaveLength(2);
    expect(byRun[offline[1] as string].d.match(/[ML]/g)).toHaveLength(7);

    const params = await page.evaluate<any>(`({
      title: document.getElementById('params-title').textContent,
      rows: [...document.querySelectorAll('#param-diff tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
      metrics: [...document.querySelectorAll('#metrics-table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
    })`);
    expect(params.title).toBe('1 parameter differs');
    expect(params.rows).toEqual([['hyperparameters.learningRate', '0.0500', '0.2000']]);
    expect(params.metrics).toEqual([
      ['accuracy', '0.8000', '0.9500'],
      ['macro_f1', '0.7500', '0.9000'],
    ]);

    const png = await page.screenshot(SCREENSHOT, '.chart[data-series="epoch/loss"]');
    const [first, second] = await colourPixels(png, [FIRST, SECOND]);
    process.stdout.write(`[runs page] plot pixels: run A ${first}, run B ${second}\n`);
    expect(first).toBeGreaterThan(150);
    expect(second).toBeGreaterThan(100);
  });

  it("opens the run of a registry version from the version's link", async () => {
    await page.goto(`${training.url}/?model=${MODEL}&version=1`);
    const legend = await page.waitFor<string>(
      `document.querySelector('#legend [data-run-id="${jobRun}"]')?.textContent`,
      15_000,
      'the run of v1',
    );
    expect(legend).toContain(`${MODEL} v1`);
    await page.waitFor(
      `document.querySelectorAll('.chart[data-series="epoch/loss"] path.run-line').length === 1`,
      10_000,
      'the curve of the job run',
    );
    expect(await page.evaluate(`document.getElementById('run-facts').textContent`)).toContain(
      `registered ${MODEL} v1`,
    );
    expect(page.consoleErrors.filter((e) => !e.includes('401'))).toEqual([]);
  });
});
