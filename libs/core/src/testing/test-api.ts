/** The bearer token every test API accepts, read from `env:OCTO_TEST_TOKEN` (see {@link testApiConfig}). */
export const TEST_TOKEN = 'test-token-0123456789abcdef0123456789abcdef';

/** The environment a test API or CLI needs for {@link TEST_TOKEN}. */
export const TEST_ENV = { OCTO_TEST_TOKEN: TEST_TOKEN };

/** An `api:` config block for tests: {@link TEST_TOKEN}, a free port, no logs; `extra` wins. */
export function testApiConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { tokens: ['env:OCTO_TEST_TOKEN'], port: 0, logLevel: 'silent', ...extra };
}
