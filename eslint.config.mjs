// Type-aware lint for the whole workspace; Nx tags enforce which projects may import which.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// The layering, by Nx project tags (project.json): type:service (the six services), type:lib (what
// services may use), type:dev (the local broker, Postgres and service processes: @mercato/dev-stack),
// type:test (test fixtures: @mercato/testing), type:tool (the CLI). Product code: services use libs
// only; libs use libs only (never a service, the dev stack or test code); the dev stack uses libs;
// the CLI uses libs and the dev stack; libs/contracts depends on nothing of ours.
const PRODUCT_LAYERS = [
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:dev', onlyDependOnLibsWithTags: ['type:lib', 'type:dev'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:dev'] },
  { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib', 'type:dev', 'type:test'] },
  { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
];
// Test files of any project (specs, int-specs, test/ folders) may also use the dev stack and the
// test fixtures; contracts' own tests still depend on nothing of ours.
const TEST_LAYERS = [
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:dev', 'type:test'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:dev', 'type:test'] },
  { sourceTag: 'type:dev', onlyDependOnLibsWithTags: ['type:lib', 'type:dev', 'type:test'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:dev', 'type:test'] },
  { sourceTag: 'type:test', onlyDependOnLibsWithTags: ['type:lib', 'type:dev', 'type:test'] },
  { sourceTag: 'scope:contracts', onlyDependOnLibsWithTags: [] },
];
const boundaries = (depConstraints) => ({ enforceBuildableLibDependency: false, allow: [], depConstraints });
const TEST_FILES = ['**/*.spec.ts', '**/*.int-spec.ts', '**/test/**/*.ts', '**/tests/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.mercato/**',
      'libs/contracts/src/gen/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      '**/*.mts',
    ],
  },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(PRODUCT_LAYERS)],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      // Index access is unchecked (no noUncheckedIndexedAccess), so `as T` on array reads documents intent.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: TEST_FILES,
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(TEST_LAYERS)] },
  },
  {
    // The Chromium driver of the web-page specs reads the DevTools protocol's untyped JSON messages.
    files: [...TEST_FILES, 'bench/**/*.ts', 'libs/testing/src/chromium.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
);
