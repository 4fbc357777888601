import nx from '@nx/eslint-plugin';

/** Which project may import which, by tag. */
const depConstraints = [
  { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:provider', onlyDependOnLibsWithTags: ['type:core'] },
  { sourceTag: 'type:registry', onlyDependOnLibsWithTags: ['type:core', 'type:provider'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:core', 'type:testing'] },
  { sourceTag: 'type:server', onlyDependOnLibsWithTags: ['type:core'] },
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:core', 'type:provider', 'type:registry', 'type:server', 'type:testing'],
  },
  { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['type:core', 'type:testing', 'type:tools'] },
];

/** The module-boundary rule over a set of tag constraints. */
const boundaries = (constraints) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    // The web console is an app whose built assets the CLI and the API serve: they import its assets locator only.
    allow: ['@octo/console'],
    depConstraints: constraints,
  },
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.octo', '**/files/**', '**/tmp'],
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    rules: { '@nx/enforce-module-boundaries': boundaries(depConstraints) },
  },
  {
    // The server's integration specs start real servers (Redis) with the test harness, as libs/testing's own do.
    files: ['libs/server/test/**/*.int.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(
        depConstraints.map((rule) => (rule.sourceTag === 'type:server' ? { ...rule, onlyDependOnLibsWithTags: ['type:core', 'type:testing'] } : rule)),
      ),
    },
  },
  {
    files: ['**/*.ts', '**/*.mts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Build and test configs import the workspace's shared config by path, which is fine.
    files: ['**/vitest.config.ts', '**/vitest.config.mts', '**/build.mjs', '**/eslint.config.mjs'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // Adapters implement ports; the pipeline uses them. What both need lives in src/rules.
    files: ['libs/core/src/adapters/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/pipeline/*'], message: 'adapters do not import the pipeline: move the shared rule to libs/core/src/rules' }] }],
    },
  },
  {
    // The public API is a list someone chose: a new module is public only when it is named there.
    files: ['libs/core/src/index.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: "@octo/core exports a deliberate list: name what apps, the server and providers use (tests use '@octo/core/testing')" }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
