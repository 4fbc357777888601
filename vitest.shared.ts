import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings for every project: unit specs are `*.spec.ts`,
 * integration specs that start real servers are `*.int.spec.ts`.
 */
export function projectTestConfig(options: { integrationTimeoutMs?: number } = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      environment: 'node',
      testTimeout: options.integrationTimeoutMs ?? 60_000,
      hookTimeout: options.integrationTimeoutMs ?? 120_000,
      pool: 'forks',
      reporters: ['default'],
    },
  });
}
