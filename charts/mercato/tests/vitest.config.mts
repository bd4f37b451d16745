// Runs only the chart tests, whatever the repository's root vitest config includes:
//   npx vitest run --config charts/mercato/tests/vitest.config.mts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export default defineConfig({
  test: {
    root,
    include: ['charts/mercato/tests/**/*.spec.ts'],
    // helm and kubeconform are fast (well under a second a call) but CI machines can be slow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
