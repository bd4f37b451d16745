// Compiles the workspace's TypeScript with SWC into dist/, mirroring the source tree. SWC keeps
// decorator metadata (NestJS DI needs it) and rewrites the @mercato/* path aliases to relative
// imports, so dist/ runs with plain `node`. Type checking is `npm run typecheck` (tsc), separately.
// Usage: node scripts/build.mjs [folder…]   (default: libs services scripts/cli scripts/soak bench)
import { transformFile } from '@swc/core';
import { copyFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
const roots =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : ['libs', 'services', 'scripts/cli', 'scripts/soak', 'bench'];
const { compilerOptions } = JSON.parse(await readFile(join(root, 'tsconfig.base.json'), 'utf8'));

const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
    baseUrl: root,
    paths: compilerOptions.paths,
    keepClassNames: true,
  },
  module: { type: 'commonjs', strictMode: true },
  sourceMaps: true,
};

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

let compiled = 0;
let copied = 0;
const started = Date.now();
const jobs = [];
for (const folder of roots) {
  for await (const file of walk(join(root, folder))) {
    const rel = relative(root, file);
    if (file.endsWith('.ts') && !/\.(d|spec|int-spec)\.ts$/.test(file)) {
      jobs.push(
        (async () => {
          const result = await transformFile(file, {
            ...swcOptions,
            filename: file,
            sourceFileName: relative(join(out, dirname(rel)), file),
          });
          const target = join(out, rel.replace(/\.ts$/, '.js'));
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, `${result.code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
          if (result.map) await writeFile(`${target}.map`, result.map);
          compiled++;
        })(),
      );
    } else if (ASSET.test(file) && !rel.endsWith('package.json') && !rel.includes('tsconfig')) {
      jobs.push(
        (async () => {
          const target = join(out, rel);
          await mkdir(dirname(target), { recursive: true });
          await copyFile(file, target);
          copied++;
        })(),
      );
    }
  }
}
await Promise.all(jobs);
console.log(
  `build: ${compiled} files compiled, ${copied} assets copied into dist/ in ${Date.now() - started} ms`,
);
