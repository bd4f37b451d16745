// The broker's jars without Maven. `fetch` puts exactly the files kafka-jars.lock.json lists (Maven
// Central coordinates with their SHA-256) into a folder, each one verified; `lock` regenerates that
// file from pom.xml with Maven, which only the person bumping Kafka needs. kafka.sh runs this with the
// project's Node 24 straight from the source (type stripping, so it works before `npm ci` and builds).
//
//   node scripts/kafka/jars.ts fetch <dir> [--lock <file>]
//   node scripts/kafka/jars.ts lock
//
// Environment:
//   MAVEN_MIRROR_URL          a Maven Central mirror (a repository URL, the folder above org/, com/ …);
//   npm_config_maven_mirror   the same from npm configuration (`maven-mirror=<url>` in .npmrc);
//                             default: the lock's repository, https://repo1.maven.org/maven2
//   MERCATO_MAVEN_CACHE       verified downloads in Maven's repository layout, reused by later fetches
//                             (default .mercato/cache/maven; ~/.m2/repository works too)
//   HTTPS_PROXY, NO_PROXY     honoured when NODE_USE_ENV_PROXY=1 (kafka.sh sets it)
// A download whose SHA-256 differs from the lock is refused and downloaded once more; when that copy is
// wrong too, the fetch fails naming the file, the checksum expected and the mirror variable to set.
// Written on Node's fetch and crypto rather than a package because it has to run before `npm ci`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

interface LockedJar {
  /** `group:artifact:version`, or `group:artifact:version:classifier`, of a jar on Maven Central. */
  coordinates: string;
  sha256: string;
  size: number;
}

interface Lock {
  generatedBy: string;
  kafka: string;
  repository: string;
  jars: LockedJar[];
}

const SCRIPT_DIR = dirname(resolve(process.argv[1] ?? 'scripts/kafka/jars.ts'));
const ROOT = resolve(SCRIPT_DIR, '../..');
const LOCK_FILE = join(SCRIPT_DIR, 'kafka-jars.lock.json');
const CENTRAL = 'https://repo1.maven.org/maven2';
const MIRROR_VARIABLE = 'MAVEN_MIRROR_URL';
/** In the fetched folder: the SHA-256 of the lock it was fetched from, so an unchanged lock costs nothing. */
const STAMP = '.lock-sha256';
const PARALLEL_DOWNLOADS = 8;
const DOWNLOAD_TIMEOUT_MS = 300_000;

const say = (msg: string): void => {
  process.stderr.write(msg.replace(/^/gm, 'kafka: ') + '\n');
};

class FetchError extends Error {}

/** A path for messages: relative to the checkout when inside it. */
function shown(path: string): string {
  const rel = relative(ROOT, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function repositoryPath(coordinates: string): string {
  const [group, artifact, version, classifier, ...rest] = coordinates.split(':');
  if (!group || !artifact || !version || rest.length > 0)
    throw new FetchError(`"${coordinates}" is not group:artifact:version[:classifier]`);
  const suffix = classifier ? `-${classifier}` : '';
  return `${group.replaceAll('.', '/')}/${artifact}/${version}/${artifact}-${version}${suffix}.jar`;
}

function parseLock(text: string, file: string): Lock {
  const bad = (what: string): never => {
    throw new FetchError(`${file}: ${what}; regenerate it with \`bash scripts/kafka/kafka.sh lock\``);
  };
  let lock: Partial<Lock>;
  try {
    lock = JSON.parse(text) as Partial<Lock>;
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  if (typeof lock.kafka !== 'string') bad('"kafka" (the broker version) is missing');
  if (typeof lock.repository !== 'string') bad('"repository" is missing');
  if (!Array.isArray(lock.jars) || lock.jars.length === 0) bad('"jars" is missing or empty');
  lock.jars?.forEach((jar, i) => {
    if (typeof jar.coordinates !== 'string') bad(`jars[${i}].coordinates is missing`);
    repositoryPath(jar.coordinates);
    if (typeof jar.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(jar.sha256))
      bad(`jars[${i}].sha256 is not a SHA-256 in hex`);
    if (!Number.isInteger(jar.size) || jar.size <= 0) bad(`jars[${i}].size is not a byte count`);
  });
  return lock as Lock;
}

function mirror(lock: Lock): { url: string; from: string } {
  const fromEnv = process.env[MIRROR_VARIABLE] ?? process.env.npm_config_maven_mirror;
  const from = process.env[MIRROR_VARIABLE]
    ? MIRROR_VARIABLE
    : process.env.npm_config_maven_mirror
      ? 'maven-mirror in the npm configuration'
      : 'the lock file';
  return { url: (fromEnv || lock.repository).replace(/\/+$/, ''), from };
}

async function sha256OfFile(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

/** Streams `url` into `to`, returning the SHA-256 of what arrived. */
async function download(url: string, to: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
  if (!res.ok || !res.body) throw new FetchError(`HTTP ${res.status} ${res.statusText}`.trim());
  const hash = createHash('sha256');
  const file = await open(to, 'w');
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      await file.write(chunk);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/**
 * Makes sure the cache holds `jar` with the locked SHA-256, downloading it (twice at most) when it does
 * not. Returns where it is and whether it was downloaded.
 */
async function cacheJar(
  jar: LockedJar,
  base: string,
  cache: string,
): Promise<{ path: string; downloaded: boolean }> {
  const rel = repositoryPath(jar.coordinates);
  const path = join(cache, rel);
  if ((await sha256OfFile(path)) === jar.sha256) return { path, downloaded: false };
  await mkdir(dirname(path), { recursive: true });
  const url = `${base}/${rel}`;
  const name = basename(rel);
  const problems: string[] = [];
  for (const attempt of [1, 2]) {
    const part = `${path}.${process.pid}.part`;
    try {
      const got = await download(url, part);
      if (got === jar.sha256) {
        await rename(part, path);
        return { path, downloaded: true };
      }
      problems.push(`its SHA-256 was ${got} (refused)`);
    } catch (err) {
      problems.push(describe(err));
    } finally {
      await rm(part, { force: true });
    }
    if (attempt === 1) say(`${name}: ${problems[0]}; downloading it once more`);
  }
  const what = problems[0] === problems[1] ? `${problems[0]} both times` : problems.join(', then ');
  throw new FetchError(
    `${name} (${jar.coordinates}) from ${url}, tried twice: ${what}; expected SHA-256 ${jar.sha256}. ` +
      `Set ${MIRROR_VARIABLE} (or maven-mirror in .npmrc) to a Maven Central mirror that serves it unchanged.`,
  );
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function fetchJars(dest: string, lockFile: string): Promise<void> {
  const text = await readFile(lockFile, 'utf8');
  const stamp = createHash('sha256').update(text).digest('hex');
  if ((await readFile(join(dest, STAMP), 'utf8').catch(() => '')).trim() === stamp) return;
  const lock = parseLock(text, lockFile);
  const names = lock.jars.map((jar) => basename(repositoryPath(jar.coordinates)));
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate) throw new FetchError(`${lockFile}: two jars are named ${duplicate}`);
  const { url, from } = mirror(lock);
  const cache = resolve(process.env.MERCATO_MAVEN_CACHE || join(ROOT, '.mercato/cache/maven'));
  const megabytes = (lock.jars.reduce((sum, jar) => sum + jar.size, 0) / 1e6).toFixed(0);
  say(
    `fetching the ${lock.jars.length} jars of Apache Kafka ${lock.kafka} (${megabytes} MB) from ${url} ` +
      `(${from}) into ${shown(dest)}`,
  );
  const started = Date.now();
  const staging = `${dest}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const failures: string[] = [];
  let downloaded = 0;
  await forEachLimit(lock.jars, PARALLEL_DOWNLOADS, async (jar) => {
    try {
      const cached = await cacheJar(jar, url, cache);
      if (cached.downloaded) downloaded++;
      await linkOrCopy(cached.path, join(staging, basename(cached.path)));
    } catch (err) {
      failures.push(err instanceof FetchError ? err.message : `${jar.coordinates}: ${describe(err)}`);
    }
  });
  if (failures.length > 0) {
    await rm(staging, { recursive: true, force: true });
    throw new FetchError(failures.join('\n'));
  }
  await writeFile(join(staging, STAMP), `${stamp}\n`);
  await rm(dest, { recursive: true, force: true });
  await rename(staging, dest);
  say(
    `fetched ${lock.jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s ` +
      `(${downloaded} downloaded, ${lock.jars.length - downloaded} from ${shown(cache)})`,
  );
}

/**
 * Resolves pom.xml's runtime dependencies with Maven (strict checksums) and writes the lock: each jar's
 * coordinates, SHA-256 and size, after checking its SHA-1 against the one Maven Central publishes.
 */
async function writeLock(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'mercato-kafka-lock-'));
  try {
    const listFile = join(work, 'dependencies.txt');
    const mvn = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        '--strict-checksums',
        '-f',
        join(SCRIPT_DIR, 'pom.xml'),
        'dependency:list',
        '-DincludeScope=runtime',
        '-DoutputAbsoluteArtifactFilename=true',
        `-DoutputFile=${listFile}`,
      ],
      { encoding: 'utf8' },
    );
    if (mvn.error)
      throw new FetchError(`could not run mvn (${mvn.error.message}): writing the lock needs Maven`);
    if (mvn.status !== 0)
      throw new FetchError(`mvn dependency:list failed (exit ${mvn.status}):\n${mvn.stdout}${mvn.stderr}`);
    const jars: (LockedJar & { file: string; sha1: string })[] = [];
    for (const line of (await readFile(listFile, 'utf8')).split('\n')) {
      const spec = line.trim().split(' ')[0] ?? '';
      const parts = spec.split(':');
      if (parts.length !== 6 && parts.length !== 7) continue;
      const [group, artifact, type] = parts as [string, string, string];
      const [classifier, version, , file] = (
        parts.length === 7 ? parts.slice(3) : ['', ...parts.slice(3)]
      ) as [string, string, string, string];
      if (type !== 'jar') throw new FetchError(`${spec}: only jars are supported`);
      const bytes = await readFile(file);
      jars.push({
        coordinates: [group, artifact, version, ...(classifier ? [classifier] : [])].join(':'),
        sha256: createHash('sha256').update(bytes).digest('hex'),
        size: bytes.length,
        file,
        sha1: createHash('sha1').update(bytes).digest('hex'),
      });
    }
    const kafka = jars.find((jar) => jar.coordinates.startsWith('org.apache.kafka:kafka_'));
    if (!kafka) throw new FetchError('pom.xml resolved no org.apache.kafka:kafka_<scala> jar');
    for (const jar of jars) {
      const url = `${CENTRAL}/${repositoryPath(jar.coordinates)}.sha1`;
      const res = await fetch(url);
      if (!res.ok) throw new FetchError(`${url}: HTTP ${res.status}`);
      const published = (await res.text()).trim().split(/\s+/)[0];
      if (published !== jar.sha1)
        throw new FetchError(`${jar.file}: SHA-1 ${jar.sha1}, but Maven Central publishes ${published}`);
    }
    const lock: Lock = {
      generatedBy: 'bash scripts/kafka/kafka.sh lock (Maven, from scripts/kafka/pom.xml); do not edit',
      kafka: kafka.coordinates.split(':')[2] as string,
      repository: CENTRAL,
      jars: jars
        .map(({ coordinates, sha256, size }) => ({ coordinates, sha256, size }))
        .sort((a, b) => a.coordinates.localeCompare(b.coordinates)),
    };
    await writeFile(LOCK_FILE, `${JSON.stringify(lock, null, 2)}\n`);
    say(`wrote ${shown(LOCK_FILE)}: ${lock.jars.length} jars of Apache Kafka ${lock.kafka}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { lock: { type: 'string', default: LOCK_FILE } },
  });
  const [command, dest] = positionals;
  if (command === 'fetch' && dest) return fetchJars(resolve(dest), resolve(values.lock));
  if (command === 'lock') return writeLock();
  throw new FetchError('usage: node scripts/kafka/jars.ts fetch <dir> [--lock <file>] | lock');
}

main().catch((err: unknown) => {
  say(err instanceof FetchError ? err.message : ((err as Error).stack ?? String(err)));
  process.exitCode = 1;
});
