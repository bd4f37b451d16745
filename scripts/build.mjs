// Compiles the workspace's TypeScript with SWC into dist/, mirroring the source tree. SWC keeps
// decorator metadata (NestJS DI needs it) and rewrites the @mercato/* path aliases to relative
// imports, so dist/ runs with plain `node`. Type checking is `npm run typecheck` (tsc), separately.
//
// Every `npx mercato` runs this first, so it must be cheap when nothing changed and safe when two
// run at once:
//  - dist/.build-manifest.json records each source's size and mtime (and a fingerprint of this
//    script, the path aliases and the SWC version); only sources that differ are compiled, outputs
//    of deleted sources are removed, and with nothing to do the script exits before loading SWC
//    (delete dist/ to force a full build);
//  - one build at a time: a lock file (dist/.build.lock, holding the builder's pid; a lock whose
//    process is gone is taken over); a waiting build re-checks after the lock and usually finds
//    dist/ up to date;
//  - every output is written to a temporary file and renamed over the old one, so a process
//    loading dist/ meanwhile reads whole files, old or new, never a half-written one.
// The CLI's own sources are compiled with lazy imports (SWC `module.lazy`): a library is required
// when a command first uses it, so `mercato --help` or `mercato models list` does not load NestJS,
// Kafka or TensorFlow.
// Usage: node scripts/build.mjs [--quiet] [folder…]
//   (default folders: libs services scripts/cli scripts/soak bench; --quiet: say nothing when
//   dist/ is already up to date)
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const MANIFEST = join(out, '.build-manifest.json');
const LOCK = join(out, '.build.lock');
const LOCK_TIMEOUT_MS = 10 * 60_000;
const args = process.argv.slice(2);
const quiet = args.includes('--quiet');
const folders = args.filter((a) => a !== '--quiet');
const roots = folders.length > 0 ? folders : ['libs', 'services', 'scripts/cli', 'scripts/soak', 'bench'];
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
const LAZY_IMPORTS = /^scripts\/cli\//;

const say = (text) => process.stderr.write(`build: ${text}\n`);

function swcOptions(rel) {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      baseUrl: root,
      paths: compilerOptions.paths,
      keepClassNames: true,
    },
    module: { type: 'commonjs', strictMode: true, lazy: LAZY_IMPORTS.test(rel) },
    sourceMaps: true,
  };
}

const SKIP_DIRS = new Set(['node_modules', 'dist', 'gen-docs', '.mercato']);
const ASSET = /\.(sql|json|html|css|svg|txt|proto)$/;

async function* walk(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* walk(path);
    } else {
      yield path;
    }
  }
}

/** What the build makes of a source file: compiled, copied, or nothing. */
function kindOf(rel) {
  if (rel.endsWith('.ts')) return /\.(d|spec|int-spec)\.ts$/.test(rel) ? undefined : 'compile';
  if (ASSET.test(rel) && !rel.endsWith('package.json') && !rel.includes('tsconfig')) return 'copy';
  return undefined;
}

const outputsOf = (rel, kind) =>
  kind === 'compile'
    ? [join(out, rel.replace(/\.ts$/, '.js')), join(out, `${rel.replace(/\.ts$/, '.js')}.map`)]
    : [join(out, rel)];

/** The sources under the build folders, each with the signature its outputs were built from. */
async function scan() {
  const sources = new Map();
  const pending = [];
  for (const folder of roots) {
    for await (const file of walk(join(root, folder))) {
      const rel = relative(root, file);
      const kind = kindOf(rel);
      if (!kind) continue;
      pending.push(stat(file).then((s) => sources.set(rel, { kind, signature: `${s.size}:${s.mtimeMs}` })));
    }
  }
  await Promise.all(pending);
  return sources;
}

/** Changes to anything but the sources themselves rebuild everything. */
function toolchainFingerprint() {
  const swcVersion = JSON.parse(
    readFileSync(join(root, 'node_modules/@swc/core/package.json'), 'utf8'),
  ).version;
  return createHash('sha256')
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(JSON.stringify(compilerOptions.paths))
    .update(swcVersion)
    .digest('hex');
}

async function readManifest(fingerprint) {
  try {
    const manifest = JSON.parse(await readFile(MANIFEST, 'utf8'));
    if (manifest.fingerprint === fingerprint) return manifest;
  } catch {
    // no manifest yet, or a broken one: build everything
  }
  return { fingerprint, files: {} };
}

const underRoots = (rel) =>
  roots.some((folder) => rel === folder || rel.startsWith(`${folder.replace(/\/+$/, '')}/`));

/** What differs between the sources and the manifest: files to (re)build and outputs to remove. */
function plan(manifest, sources) {
  const build = [...sources]
    .filter(([rel, { signature }]) => manifest.files[rel] !== signature)
    .map(([rel]) => rel);
  const removed = Object.keys(manifest.files).filter((rel) => underRoots(rel) && !sources.has(rel));
  return { build, removed };
}

/** Writes `data` to `target` through a temporary file in the same folder and an atomic rename. */
async function writeAtomically(target, data) {
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, target);
}

async function copyAtomically(source, target) {
  const tmp = `${target}.${process.pid}.tmp`;
  await copyFile(source, tmp);
  await rename(tmp, target);
}

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
};

/**
 * Removes the lock of a dead builder. Two waiters may both see it dead: each moves the lock file
 * aside under its own name, and one that finds a live holder's pid in what it moved (the other
 * waiter was faster and already holds a new lock) puts that lock back.
 */
async function takeOverStaleLock(deadPid) {
  const aside = `${LOCK}.${process.pid}.stale`;
  if (
    !(await rename(LOCK, aside).then(
      () => true,
      () => false,
    ))
  )
    return;
  if (Number(await readFile(aside, 'utf8').catch(() => '')) !== deadPid)
    await link(aside, LOCK).catch(() => undefined);
  await unlink(aside);
}

/** Takes dist/.build.lock, waiting for a live holder and taking it over from a dead one. */
async function lock() {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = Number(await readFile(LOCK, 'utf8').catch(() => ''));
    if (holder > 0 && !pidAlive(holder)) {
      await takeOverStaleLock(holder);
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(
        `dist/ is locked by process ${holder} for over ${LOCK_TIMEOUT_MS / 60_000} min (${LOCK})`,
      );
    if (!told && !quiet) say(`waiting for the build in process ${holder}`);
    told = true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function compileAll(rels, sources) {
  const { transformFile } = await import('@swc/core');
  let compiled = 0;
  let copied = 0;
  await Promise.all(
    rels.map(async (rel) => {
      const file = join(root, rel);
      const { kind } = sources.get(rel);
      if (kind === 'compile') {
        const target = join(out, rel.replace(/\.ts$/, '.js'));
        const result = await transformFile(file, {
          ...swcOptions(rel),
          filename: file,
          sourceFileName: relative(join(out, dirname(rel)), file),
        });
        await mkdir(dirname(target), { recursive: true });
        if (result.map) await writeAtomically(`${target}.map`, result.map);
        await writeAtomically(
          target,
          `${result.code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`,
        );
        compiled++;
      } else {
        const target = join(out, rel);
        await mkdir(dirname(target), { recursive: true });
        await copyAtomically(file, target);
        copied++;
      }
    }),
  );
  return { compiled, copied };
}

const started = Date.now();
const fingerprint = toolchainFingerprint();
let sources = await scan();
let todo = plan(await readManifest(fingerprint), sources);
if (todo.build.length === 0 && todo.removed.length === 0) {
  if (!quiet) say(`dist/ is up to date (${sources.size} files, ${Date.now() - started} ms)`);
  process.exit(0);
}

await mkdir(out, { recursive: true });
await lock();
try {
  // Another build may have done the work while this one waited.
  sources = await scan();
  const manifest = await readManifest(fingerprint);
  todo = plan(manifest, sources);
  const { compiled, copied } = await compileAll(todo.build, sources);
  for (const rel of todo.removed) {
    const kind = kindOf(rel);
    if (kind) await Promise.all(outputsOf(rel, kind).map((f) => rm(f, { force: true })));
    delete manifest.files[rel];
  }
  for (const rel of todo.build) manifest.files[rel] = sources.get(rel).signature;
  await writeAtomically(MANIFEST, JSON.stringify(manifest));
  if (compiled + copied + todo.removed.length > 0 || !quiet)
    say(
      `${compiled} files compiled, ${copied} assets copied, ${todo.removed.length} removed into dist/ in ${Date.now() - started} ms`,
    );
} finally {
  await unlink(LOCK);
}
