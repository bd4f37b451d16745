// `mercato replay news` as an operator runs it, against the real ingest process (built dist/, real
// broker, fresh database): a CSV arrives on news.raw.v1 as articles at the requested rate, a second
// replay of the same file is all duplicates, PhraseBank and JSON Lines files work with their bad
// lines counted, and a replay started before ingest is up waits and retries instead of dropping.
import { fromBinary } from '@bufbuild/protobuf';
import { NewsArticleSchema, Topics } from '@mercato/contracts';
import {
  REPO_ROOT,
  createTestDatabase,
  requireEnv,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort as freeTcpPort,
} from '@mercato/dev-stack';
import type { Consumer } from 'kafkajs';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'dist/scripts/cli/src/main.js');
const RUN = uniqueSuffix();
const SOURCE = `replay-test-${RUN}`;
const kafka = testKafka();

let dir: string;
const databases: TestDatabase[] = [];
let ingest: ServiceProcess;

const freePort = async (): Promise<string> => String(await freeTcpPort());

async function startIngest(port?: string): Promise<ServiceProcess> {
  const db = await createTestDatabase('replay');
  databases.push(db);
  return startService('ingest', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    HTTP_PORT: port ?? (await freePort()),
    LOG_LEVEL: 'warn',
  });
}

async function mercato(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Records on news.raw.v1 from now on, read until everything written before `caughtUp()` is seen. */
async function tapNews() {
  const topic = Topics.newsRaw.name;
  const admin = kafka.admin();
  await admin.connect();
  const starts = await admin.fetchTopicOffsets(topic);
  const next = new Map(starts.map((s) => [s.partition, BigInt(s.offset)]));
  const articles: ReturnType<typeof fromBinary<typeof NewsArticleSchema>>[] = [];
  const consumer: Consumer = kafka.consumer({
    groupId: `replay-test-${uniqueSuffix()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (message.value) articles.push(fromBinary(NewsArticleSchema, message.value));
      next.set(partition, BigInt(message.offset) + 1n);
    },
  });
  for (const s of starts) consumer.seek({ topic, partition: s.partition, offset: s.offset });
  return {
    articles,
    async caughtUp(): Promise<void> {
      const ends = await admin.fetchTopicOffsets(topic);
      const deadline = Date.now() + 30_000;
      while (!ends.every((e) => (next.get(e.partition) ?? 0n) >= BigInt(e.high))) {
        if (Date.now() > deadline) throw new Error('news.raw.v1 tap did not catch up');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close(): Promise<void> {
      await consumer.disconnect();
      await admin.disconnect();
    },
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mercato-replay-'));
  ingest = await startIngest();
}, 120_000);

afterAll(async () => {
  await ingest?.stop();
  for (const db of databases) await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('mercato replay news', () => {
  it('streams a CSV into news.raw.v1 at the given rate, and a second replay is all duplicates', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => [
      `"Run ${RUN}: company ${i} ${i % 2 ? 'beats' : 'misses'} estimates, ""analysts"" say"`,
      ['0', '1', '2'][i % 3],
    ]);
    rows.push(['""', '1']);
    const csv = join(dir, 'headlines.csv');
    writeFileSync(csv, `text,label\n${rows.map((r) => r.join(',')).join('\n')}\n`);
    const tap = await tapNews();
    try {
      const started = Date.now();
      const first = await mercato(
        'replay',
        'news',
        csv,
        '--ingest-url',
        ingest.url,
        '--rate',
        '100',
        '--batch',
        '8',
        '--label-map',
        '0=negative,1=positive,2=neutral',
        '--source',
        SOURCE,
        '--json',
      );
      expect(first.code, first.stderr).toBe(0);
      // 31 records at 100/s in batches of 8: the last batch is due 0.24 s after the first.
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
      expect(JSON.parse(first.stdout)).toMatchObject({
        format: 'csv',
        sent: 31,
        accepted: 30,
        duplicate: 0,
        rejected: 1,
      });
      expect(first.stderr).toMatch(
        /rejected: row 31 \(id headlines-[0-9a-f]{12}-31\): headline: must not be empty/,
      );
      expect(first.stderr).toMatch(/replay: sent 31\/31 {2}accepted 30 {2}duplicate 0 {2}rejected 1/);

      await tap.caughtUp();
      const mine = tap.articles.filter((a) => a.source === SOURCE);
      expect(mine).toHaveLength(30);
      expect(new Set(mine.map((a) => a.articleId)).size).toBe(30);
      expect(mine.map((a) => a.headline)).toContain(`Run ${RUN}: company 1 beats estimates, "analysts" say`);
      for (const a of mine) expect(Number(a.publishedAt?.seconds) * 1000).toBeLessThanOrEqual(Date.now());

      const again = await mercato(
        'replay',
        'news',
        csv,
        '--ingest-url',
        ingest.url,
        '--label-map',
        '0=negative,1=positive,2=neutral',
        '--source',
        SOURCE,
        '--json',
      );
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ sent: 31, accepted: 0, duplicate: 30, rejected: 1 });
      await tap.caughtUp();
      expect(tap.articles.filter((a) => a.source === SOURCE)).toHaveLength(30);
    } finally {
      await tap.close();
    }
  });

  it('reads Financial PhraseBank and JSON Lines files, counting bad lines as rejected', async () => {
    const phrasebank = join(dir, 'Sentences_AllAgree.txt');
    writeFileSync(
      phrasebank,
      Buffer.from(
        `Run ${RUN}: Operating profit rose to EUR 13.1 mn@positive\nRun ${RUN}: Net sales fell 5 %@negative\n`,
        'latin1',
      ),
    );
    const pb = await mercato('replay', 'news', phrasebank, '--ingest-url', ingest.url, '--json');
    expect(pb.code, pb.stderr).toBe(0);
    expect(JSON.parse(pb.stdout)).toMatchObject({ format: 'phrasebank', sent: 2, accepted: 2 });

    const at = new Date(Date.now() - 60_000).toISOString();
    const lines = [
      JSON.stringify({
        id: `${RUN}-j1`,
        source: SOURCE,
        published_at: at,
        headline: `Run ${RUN}: JSONL one`,
      }),
      '{"id": "broken",',
      JSON.stringify({ id: `${RUN}-j2`, source: SOURCE, published_at: at, headline: 'x', mood: 'good' }),
      '',
      JSON.stringify({
        id: `${RUN}-j3`,
        source: SOURCE,
        published_at: at,
        headline: `Run ${RUN}: JSONL three`,
        tickers: ['ACME'],
      }),
    ];
    const jsonl = join(dir, 'articles.jsonl');
    writeFileSync(jsonl, `${lines.join('\n')}\n`);
    const res = await mercato('replay', 'news', jsonl, '--ingest-url', ingest.url, '--batch', '2', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      format: 'jsonl',
      sent: 3,
      accepted: 2,
      duplicate: 0,
      rejected: 2,
    });
    expect(res.stderr).toMatch(/rejected: line 2: not valid JSON/);
    expect(res.stderr).toMatch(/rejected: line 3 \(id .*-j2\): mood: unknown field/);
  });

  it('waits and retries while ingest is not reachable, and loses nothing', async () => {
    const port = await freePort();
    const csv = join(dir, 'late.csv');
    writeFileSync(
      csv,
      `text,label\n${Array.from({ length: 12 }, (_, i) => `Run ${RUN}: late story ${i},positive`).join('\n')}\n`,
    );
    const child = spawn(
      process.execPath,
      [CLI, 'replay', 'news', csv, '--ingest-url', `http://127.0.0.1:${port}`, '--batch', '5', '--json'],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(child.exitCode).toBeNull();
    const late = await startIngest(port);
    try {
      expect(await exited).toBe(0);
      expect(stderr).toMatch(
        /retrying in [\d.]+ s \(attempt \d+\): cannot reach ingest at http:\/\/127.0.0.1:\d+ \(ECONNREFUSED\)/,
      );
      expect(JSON.parse(stdout)).toMatchObject({ sent: 12, accepted: 12, duplicate: 0, rejected: 0 });
    } finally {
      await late.stop();
    }
  }, 90_000);

  it('stops with the position reached when ingest stays unreachable past --max-wait', async () => {
    const port = await freePort();
    const csv = join(dir, 'never.csv');
    writeFileSync(csv, `text,label\nRun ${RUN}: never delivered,neutral\n`);
    const res = await mercato(
      'replay',
      'news',
      csv,
      '--ingest-url',
      `http://127.0.0.1:${port}`,
      '--max-wait',
      '1',
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /gave up after \d+ s\. Delivered 0 records; stopped at row 1\. Replaying the file again is safe/,
    );
  });
});
