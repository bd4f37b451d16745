// One vitest run for the workspace: unit specs (*.spec.ts) and integration specs (*.int-spec.ts)
// against the real local Kafka broker and Postgres, which the global setup starts when needed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const { compilerOptions } = JSON.parse(
  readFileSync(resolve(import.meta.dirname, 'tsconfig.base.json'), 'utf8'),
) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const alias = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([name, [target]]) => [
    name,
    resolve(import.meta.dirname, target),
  ]),
);

export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
      },
    }),
  ],
  resolve: { alias },
  test: {
    include: [
      'libs/**/*.{spec,int-spec}.ts',
      'services/**/*.{spec,int-spec}.ts',
      'scripts/**/*.{spec,int-spec}.ts',
      'charts/**/*.spec.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    globalSetup: ['libs/testing/src/global-setup.ts'],
    pool: 'forks',
    // Integration specs share one broker and the services' fixed consumer groups: run files one at a time.
    fileParallelism: false,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
