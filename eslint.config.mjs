import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    ignores: ['**/dist', '**/node_modules', '**/.octo', '**/files/**', '**/tmp'],
  },
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:core', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:provider', onlyDependOnLibsWithTags: ['type:core'] },
            { sourceTag: 'type:registry', onlyDependOnLibsWithTags: ['type:core', 'type:provider'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:core', 'type:testing'] },
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:core', 'type:provider', 'type:registry', 'type:testing', 'type:app'],
            },
            { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['type:core', 'type:testing', 'type:tools'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
];
