// Compiles the WebAssembly kernels (libs/ml/src/kernels/*.wat, text format) with wabt into TypeScript
// modules that carry the binary as base64 (<name>.wasm.ts), so the kernels load the same way from the
// sources (vitest) and from dist, with no file to find at run time. The generated files are committed;
// CI rebuilds them and fails when they differ. Usage: node scripts/kernels/build.mjs
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../../libs/ml/src/kernels');
const wabt = await initWabt();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
  const module = wabt.parseWat(file, readFileSync(join(dir, file), 'utf8'), { simd: true });
  module.validate();
  const { buffer } = module.toBinary({});
  module.destroy();
  const name = file.replace(/\.wat$/, '');
  const constant = `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_WASM`;
  writeFileSync(
    join(dir, `${name}.wasm.ts`),
    `// Generated from ${file} by scripts/kernels/build.mjs (npm run kernels): do not edit.\n` +
      `export const ${constant} =\n  '${Buffer.from(buffer).toString('base64')}';\n`,
  );
  process.stdout.write(`kernels: ${file} -> ${name}.wasm.ts (${buffer.length} bytes)\n`);
}
