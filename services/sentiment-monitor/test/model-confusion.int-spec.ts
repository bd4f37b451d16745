// The model's measured confusion, end to end: a real model registry holds two versions of the
// tenant's `sentiment` model — version 1 registered with its evaluation's confusion metrics (a
// sharp model), version 2 without them — and the monitor reads them to test the same stream of
// news on two tickers, one scored by each version. Both surges are found; the alert of the measured
// version says its confusion was measured, the other says the default was assumed and why, and the
// weaker (unmeasured) version needs more articles before the evidence is enough.
import {
  createTestDatabase,
  eventually,
  freePort,
  requireEnv,
  startService,
  testKafka,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { CALIBRATION_EDGES, calibrationMetricName, confusionMetricName } from '@mercato/contracts';
import { RegistryClient } from '@mercato/registry-client';
import { lineage, tfjsArtifact } from '@mercato/testing';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../src/window-aggregate';
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
import { SHARP_CONFUSION } from './observations';

const MEASURED = uniqueTicker('M');
const UNMEASURED = uniqueTicker('U');
const T0 = hourAligned(5);

let db: TestDatabase;
let registry: ServiceProcess;
let monitor: Monitor;
let producer: Producer;

/** Six mixed windows, then 25 negative articles in five minutes, all scored by one version. */
function stream(ticker: string, modelVersion: string): Scored[] {
  const history = [0, 5, 10, 15, 20, 25].flatMap((m) => mixedWindow(ticker, T0 + m * MINUTE));
  const burst = Array.from({ length: 25 }, (_, i) =>
    scored({ ticker, label: 'negative', publishedAt: T0 + 30 * MINUTE + i * 12_000, probability: 0.92 }),
  );
  return [...history, ...burst].map((r) => ({ ...r, modelVersion }));
}

beforeAll(async () => {
  db = await createTestDatabase('monitor_confusion');
  registry = await startService('model-registry', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    HTTP_PORT: String(await freePort()),
  });
  const client = new RegistryClient(registry.url, 30_000);
  await client.ensureModel('sentiment', 'sentiment', 'the tenant’s own sentiment model');
  const confusion = Object.fromEntries(
    LABELS.flatMap((actual, a) =>
      LABELS.map((predicted, p) => [
        confusionMetricName(actual, predicted),
        (SHARP_CONFUSION[a] as number[])[p] as number,
      ]),
    ),
  );
  // Version 1 also has its calibration: right answers sure, wrong ones hesitant.
  const calibration = Object.fromEntries(
    LABELS.flatMap((predicted) =>
      CALIBRATION_EDGES.flatMap((_, bin) => [
        [calibrationMetricName(predicted, 'right', bin), [0.02, 0.03, 0.1, 0.25, 0.5][bin] as number],
        [calibrationMetricName(predicted, 'wrong', bin), [0.04, 0.03, 0.01, 0.01, 0.01][bin] as number],
      ]),
    ),
  );
  for (const [seed, metrics] of [
    [1, { macro_f1: 0.9, ...confusion, ...calibration }],
    [2, { macro_f1: 0.8 }],
  ] as [number, Record<string, number>][]) {
    const { files } = tfjsArtifact({ seed, metrics });
    await client.register('sentiment', {
      metrics,
      lineage: lineage(),
      idempotencyKey: `confusion-${seed}`,
      files: files.map((f) => ({ path: f.path, bytes: Buffer.from(f.contentBase64, 'base64') })),
    });
  }
  monitor = await startMonitor(db.url, {
    WINDOWS: '5m,1h',
    MODEL_REGISTRY_URL: registry.url,
    // Every severity needs the same evidence: one alert per surge, however the stream is batched.
    ALERT_RULES: JSON.stringify({ defaults: { evidence: { low: 1.5, medium: 1.5, high: 1.5 } } }),
  });
  producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await monitor?.stop();
  await registry?.stop();
  await db?.drop();
});

describe("the model's measured confusion", () => {
  it('is read from the registry, recorded on the alert, and a weaker model needs more evidence', async () => {
    await publish(producer, [...stream(MEASURED, '1'), ...stream(UNMEASURED, '2')]);
    const alertOf = async (ticker: string): Promise<any> =>
      eventually(
        async () => (await getJson(`${monitor.url}/v1/alerts?ticker=${ticker}`)).body.items[0],
        30_000,
        `the alert of ${ticker}`,
      );
    const measured = await alertOf(MEASURED);
    const unmeasured = await alertOf(UNMEASURED);

    expect(measured.models.confusion).toEqual([
      { version: 'sentiment@1', confusion: 'measured', calibrated: true },
    ]);
    expect(unmeasured.models.confusion).toEqual([
      {
        version: 'sentiment@2',
        confusion: 'default',
        reason: expect.stringContaining(`no ${confusionMetricName('negative', 'negative')} metric`),
      },
    ]);
    // The same news: the sharp model's labels are worth more, so its evidence is enough sooner.
    expect(measured.test.articles).toBeLessThan(unmeasured.test.articles);
    expect(Date.parse(measured.test.at)).toBeLessThan(Date.parse(unmeasured.test.at));
    for (const alert of [measured, unmeasured]) {
      expect(alert.test.evidence).toBeGreaterThanOrEqual(alert.test.threshold);
      expect(alert.baseline.source).toBe('history');
      expect(alert.models.acrossVersions).toBe(false);
    }
  });
});
