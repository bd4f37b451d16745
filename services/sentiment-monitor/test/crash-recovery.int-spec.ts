// Crash safety of the monitor process on the real broker and database: a 5,000-record stream is
// published in chunks while the monitor counts it; the monitor is SIGKILLed the moment its surge
// alert commits (its offsets, and maybe the alert's Kafka publish, not yet done), the rest of the
// stream arrives while it is down, and a new process takes over the same consumer group. Every
// record is counted exactly once, and the surge is still exactly one alert — in the database and
// on the alerts topic (where a republish after the crash carries the same event id).
import { createTestDatabase, eventually, testKafka, type TestDatabase } from '@mercato/dev-stack';
import type { Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  followAlerts,
  getJson,
  hourAligned,
  MINUTE,
  publish,
  scored,
  startMonitor,
  uniqueTicker,
  type LabelName,
  type Monitor,
  type Scored,
} from './monitor-harness';

const C = uniqueTicker('C');
const D = uniqueTicker('D');
const T0 = hourAligned(12);
const WINDOWS = 50;
const PER_WINDOW = 50;
const BURST_WINDOW = 25;

let db: TestDatabase;
let sql: pg.Client;
let producer: Producer;
let topic: Awaited<ReturnType<typeof followAlerts>>;
const running: Monitor[] = [];

beforeAll(async () => {
  db = await createTestDatabase('sentiment_monitor_crash');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  producer = testKafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  topic = await followAlerts(() => new Set([C, D]));
}, 120_000);

afterAll(async () => {
  for (const m of running) if (m.child.exitCode === null && m.child.signalCode === null) await m.stop();
  await topic?.stop();
  await producer?.disconnect();
  await sql?.end();
  await db?.drop();
});

/** 50 records per ticker per 5-minute window, 30% negative, 40% neutral, 30% positive; C's window 25 all negative. */
function stream(): Scored[] {
  const records: Scored[] = [];
  const cycle: LabelName[] = [
    'neutral',
    'negative',
    'positive',
    'neutral',
    'negative',
    'positive',
    'neutral',
    'negative',
    'positive',
    'neutral',
  ];
  for (let w = 0; w < WINDOWS; w++) {
    for (let i = 0; i < PER_WINDOW; i++) {
      const publishedAt = T0 + w * 5 * MINUTE + i * 6_000;
      const mixed = cycle[i % cycle.length] as LabelName;
      records.push(scored({ ticker: C, label: w === BURST_WINDOW ? 'negative' : mixed, publishedAt }));
      records.push(scored({ ticker: D, label: mixed, publishedAt }));
    }
  }
  return records;
}

// The deployment's rules give every severity the same evidence: one surge, one alert, however the
// stream is batched before and after the crash.
const ENV = {
  WINDOWS: '5m,1h',
  ALLOWED_LATENESS: '10m',
  ALERT_RULES: JSON.stringify({ defaults: { evidence: { low: 1.5, medium: 1.5, high: 1.5 } } }),
};

async function counted(ticker: string): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    `SELECT coalesce(sum(volume), 0)::int AS n FROM sentiment_monitor.windows WHERE ticker = $1 AND window_size = '5m'`,
    [ticker],
  );
  return rows[0]?.n ?? 0;
}

describe('SIGKILL mid-stream', () => {
  it('counts 5,000 records exactly once and raises the surge alert once across a crash and restart', async () => {
    const records = stream();
    expect(records).toHaveLength(5_000);
    const first = await startMonitor(db.url, ENV);
    running.push(first);

    // Publish in chunks; kill the monitor as soon as the alert of C is committed.
    let killedAfter: number | undefined;
    const watcher = (async () => {
      for (;;) {
        const { rows } = await sql
          .query<{ n: number }>(`SELECT count(*)::int AS n FROM sentiment_monitor.alerts WHERE ticker = $1`, [
            C,
          ])
          .catch(() => ({ rows: [{ n: 0 }] }));
        if ((rows[0]?.n ?? 0) > 0) {
          first.child.kill('SIGKILL');
          killedAfter = (await counted(C)) + (await counted(D));
          return;
        }
        if (first.child.exitCode !== null) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    for (let i = 0; i < records.length; i += 250) {
      await publish(producer, records.slice(i, i + 250));
      await new Promise((r) => setTimeout(r, 100));
    }
    await watcher;
    expect(await first.exited).toBeNull(); // killed by a signal, not exited
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(killedAfter).toBeGreaterThan(0);
    expect(killedAfter).toBeLessThan(5_000);

    const killedAt = Date.now();
    const second = await startMonitor(db.url, ENV, { groupId: first.groupId });
    running.push(second);
    // Redeliver part of the stream once more after the restart (same event ids).
    await publish(producer, records.slice(2_000, 3_000));
    await eventually(
      async () => ((await counted(C)) === 2_500 && (await counted(D)) === 2_500 ? true : undefined),
      180_000,
      'every record counted after the restart',
    );
    const recoveredMs = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await counted(C)).toBe(2_500);
    expect(await counted(D)).toBe(2_500);
    const { rows: hourly } = await sql.query<{ ticker: string; n: number }>(
      `SELECT ticker, sum(volume)::int AS n FROM sentiment_monitor.windows WHERE window_size = '1h' AND ticker = ANY($1)
       GROUP BY ticker ORDER BY ticker`,
      [[C, D]],
    );
    expect(hourly).toEqual([
      { ticker: C, n: 2_500 },
      { ticker: D, n: 2_500 },
    ]);
    const { rows: late } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM sentiment_monitor.late_records WHERE ticker = ANY($1)',
      [[C, D]],
    );
    expect(late[0]?.n).toBe(0);
    const { rows: processed } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sentiment_monitor.processed_events WHERE event_id = ANY($1)`,
      [records.map((r) => r.eventId)],
    );
    expect(processed[0]?.n).toBe(5_000);

    const alerts = (await getJson(`${second.url}/v1/alerts?ticker=${C}`)).body.items;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      ticker: C,
      direction: 'negative',
      severity: 'high',
      window: { size: '5m', start: new Date(T0 + BURST_WINDOW * 5 * MINUTE).toISOString() },
    });
    expect((await getJson(`${second.url}/v1/alerts?ticker=${D}`)).body.items).toEqual([]);

    // On the topic: only that alert id for C, whether or not the first process had published it.
    await eventually(async () => (topic.alerts.length > 0 ? true : undefined), 20_000, 'the alert on Kafka');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(new Set(topic.alerts.map((a) => a.eventId))).toEqual(new Set([alerts[0].alertId]));
    expect(topic.alerts.every((a) => a.alert.ticker === C)).toBe(true);

    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    const duplicates = Number(
      /mercato_sentiment_records_total\{[^}]*outcome="duplicate"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    expect(duplicates).toBeGreaterThanOrEqual(1_000);
    process.stdout.write(
      `[crash] killed after ${killedAfter} of 5000 records were counted; all counted ${recoveredMs} ms after the ` +
        `kill (the group waits out the dead member's session); ${duplicates} redelivered records skipped as ` +
        `duplicates; Kafka copies of the alert: ${topic.alerts.length}\n`,
    );
  }, 300_000);
});
