// The broker's jar fetcher (scripts/kafka/jars.ts) against a local Maven mirror on node:http: it
// verifies every file against the lock, refuses a corrupted download, downloads it once more, and
// when the second copy is bad too fails naming the file, the expected SHA-256 and the mirror variable.
import { REPO_ROOT } from '@mercato/dev-stack';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const FETCHER = join(REPO_ROOT, 'scripts/kafka/jars.ts');
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const jars = {
  'org/example/alpha/1.0/alpha-1.0.jar': randomBytes(200_000),
  'org/example/beta/2.1/beta-2.1-linux.jar': randomBytes(3_000),
};
const lock = {
  generatedBy: 'jars.spec.ts',
  kafka: '0.0.0',
  repository: 'http://127.0.0.1:1/unused',
  jars: [
    {
      coordinates: 'org.example:alpha:1.0',
      sha256: sha256(jars['org/example/alpha/1.0/alpha-1.0.jar']),
      size: 200_000,
    },
    {
      coordinates: 'org.example:beta:2.1:linux',
      sha256: sha256(jars['org/example/beta/2.1/beta-2.1-linux.jar']),
      size: 3_000,
    },
  ],
};

/** How many of the next requests for a path get corrupted bytes (Infinity: all of them). */
const corrupt = new Map<string, number>();
const requests: string[] = [];
let server: Server;
let mirror: string;
let work: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/maven2\//, '');
    requests.push(path);
    const body = jars[path as keyof typeof jars];
    if (!body) return void res.writeHead(404).end();
    const bad = corrupt.get(path) ?? 0;
    if (bad > 0) {
      corrupt.set(path, bad - 1);
      const copy = Buffer.from(body);
      copy[1000] = (copy[1000] ?? 0) ^ 0xff;
      return void res.end(copy);
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/maven2`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'mercato-jars-'));
  writeFileSync(join(work, 'lock.json'), JSON.stringify(lock));
  corrupt.clear();
  requests.length = 0;
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function fetchJars(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const { MAVEN_MIRROR_URL: _m, npm_config_maven_mirror: _n, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [FETCHER, 'fetch', join(work, 'libs'), '--lock', join(work, 'lock.json')],
      { env: { ...inherited, MERCATO_MAVEN_CACHE: join(work, 'cache'), ...env } },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }),
    );
  });
}

describe('node scripts/kafka/jars.ts fetch', () => {
  it('puts exactly the locked files in the folder, then reuses them without asking the mirror', async () => {
    const first = await fetchJars({ MAVEN_MIRROR_URL: `${mirror}/` });
    expect(first).toMatchObject({ code: 0 });
    expect(readdirSync(join(work, 'libs')).sort()).toEqual([
      '.lock-sha256',
      'alpha-1.0.jar',
      'beta-2.1-linux.jar',
    ]);
    expect(readFileSync(join(work, 'libs/alpha-1.0.jar'))).toEqual(
      jars['org/example/alpha/1.0/alpha-1.0.jar'],
    );
    expect(readFileSync(join(work, 'libs/beta-2.1-linux.jar'))).toEqual(
      jars['org/example/beta/2.1/beta-2.1-linux.jar'],
    );
    expect(requests.sort()).toEqual(Object.keys(jars).sort());

    expect(await fetchJars({ MAVEN_MIRROR_URL: mirror })).toMatchObject({ code: 0 });
    rmSync(join(work, 'libs'), { recursive: true });
    expect(await fetchJars({ MAVEN_MIRROR_URL: mirror })).toMatchObject({ code: 0 });
    expect(requests).toHaveLength(2);
    expect(readdirSync(join(work, 'libs'))).toHaveLength(3);
  });

  it('takes the mirror from the npm configuration (maven-mirror in .npmrc)', async () => {
    expect(await fetchJars({ npm_config_maven_mirror: mirror })).toMatchObject({ code: 0 });
    expect(requests).toHaveLength(2);
  });

  it('refuses a corrupted download and keeps the second, good copy', async () => {
    corrupt.set('org/example/alpha/1.0/alpha-1.0.jar', 1);
    const { code, stderr } = await fetchJars({ MAVEN_MIRROR_URL: mirror });
    expect(code).toBe(0);
    expect(stderr).toContain('alpha-1.0.jar: its SHA-256 was ');
    expect(stderr).toContain('(refused); downloading it once more');
    expect(requests.filter((p) => p.endsWith('alpha-1.0.jar'))).toHaveLength(2);
    expect(readFileSync(join(work, 'libs/alpha-1.0.jar'))).toEqual(
      jars['org/example/alpha/1.0/alpha-1.0.jar'],
    );
  });

  it('fails after a second corrupted copy, naming the file, the expected SHA-256 and MAVEN_MIRROR_URL', async () => {
    corrupt.set('org/example/alpha/1.0/alpha-1.0.jar', Infinity);
    const { code, stderr } = await fetchJars({ MAVEN_MIRROR_URL: mirror });
    expect(code).toBe(1);
    expect(requests.filter((p) => p.endsWith('alpha-1.0.jar'))).toHaveLength(2);
    const failure = stderr.split('\n').find((line) => line.includes('tried twice')) ?? stderr;
    expect(failure).toContain('alpha-1.0.jar (org.example:alpha:1.0)');
    expect(failure).toContain(`expected SHA-256 ${lock.jars[0]?.sha256}`);
    expect(failure).toContain('Set MAVEN_MIRROR_URL');
    // Nothing half-done is left: no folder of jars, no corrupted file in the cache.
    expect(existsSync(join(work, 'libs'))).toBe(false);
    expect(existsSync(join(work, 'cache/org/example/alpha/1.0/alpha-1.0.jar'))).toBe(false);
  });

  it('names a file the mirror does not have', async () => {
    const missing = {
      ...lock,
      jars: [...lock.jars, { coordinates: 'org.example:gamma:3', sha256: 'a'.repeat(64), size: 1 }],
    };
    writeFileSync(join(work, 'lock.json'), JSON.stringify(missing));
    const { code, stderr } = await fetchJars({ MAVEN_MIRROR_URL: mirror });
    expect(code).toBe(1);
    expect(stderr).toContain('gamma-3.jar (org.example:gamma:3)');
    expect(stderr).toContain('HTTP 404');
  });

  it('rejects a malformed lock with the field at fault', async () => {
    writeFileSync(
      join(work, 'lock.json'),
      JSON.stringify({ ...lock, jars: [{ ...lock.jars[0], sha256: 'x' }] }),
    );
    const { code, stderr } = await fetchJars({ MAVEN_MIRROR_URL: mirror });
    expect(code).toBe(1);
    expect(stderr).toContain('jars[0].sha256 is not a SHA-256 in hex');
    expect(requests).toHaveLength(0);
  });
});
