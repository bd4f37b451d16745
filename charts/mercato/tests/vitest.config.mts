// Runs only the chart tests, whatever the repository's root vitest config includes:
//   npx vitest run --config charts/mercato/tests/vitest.config.mts
// The root config's module aliases and transforms (chart.spec.ts reads @mercato/contracts), without
// its global setup: the chart tests need no broker or database.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import workspace from '../../../vitest.config.mts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export default defineConfig({
  ...workspace,
  test: {
    root,
    include: ['charts/mercato/tests/**/*.spec.ts'],
    // helm and kubeconform are fast (well under a second a call) but CI machines can be slow.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
