import { formatIssues, OctoError, secretRefSchema, shownPath, type LoadedConfig } from '@octo/core';
import { z } from 'zod';

/** Limits on what a request may ask for. */
export const apiLimitsSchema = z
  .object({
    /** Largest request body, in bytes; a bigger one gets 413. */
    bodyBytes: z.number().int().min(256).max(1024 * 1024).default(16 * 1024),
    /** Highest `concurrency` a job request may ask for. */
    maxConcurrency: z.number().int().min(1).max(64).default(16),
    /** Largest page `GET /v1/jobs` returns. */
    maxPageSize: z.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** Requests per client address (as the API sees it: behind a proxy, the proxy's address). */
export const apiRateLimitSchema = z
  .object({
    /** Requests one address may make per window; more get 429 with Retry-After. */
    max: z.number().int().min(1).max(1_000_000).default(600),
    /** Failed authentications (missing or wrong token) one address may make per window; then all its requests get 429 until the window ends. */
    authFailures: z.number().int().min(1).max(100_000).default(20),
    /** The window both limits count in. */
    windowMs: z.number().int().min(1000).max(3_600_000).default(60_000),
  })
  .strict();

/** The web console's sign-in sessions (cookie, server-side, in this process's memory). */
export const apiSessionSchema = z
  .object({
    /** How long a console session lasts from sign-in; then the console asks for the token again. */
    ttlMs: z.number().int().min(1000).max(7 * 24 * 3_600_000).default(8 * 3_600_000),
  })
  .strict();

/**
 * The `api:` block of the Octo config (`octo serve`). Every field has a default, so an
 * absent block means: listen on 127.0.0.1:8080, bearer token from `env:OCTO_API_TOKEN`.
 */
export const apiConfigSchema = z
  .object({
    /** Interface to listen on; `0.0.0.0` to accept connections from other machines. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one. */
    port: z.number().int().min(0).max(65_535).default(8080),
    /** Accepted bearer tokens, as secret references (`env:NAME` or `file:PATH`); any one of them grants access. */
    tokens: z.array(secretRefSchema).min(1, 'configure at least one token reference, e.g. env:OCTO_API_TOKEN').default(['env:OCTO_API_TOKEN']),
    /** `token`: GET /metrics needs a bearer token like /v1; `none`: it is open (for a scraper on a private network). */
    metricsAuth: z.enum(['token', 'none']).default('token'),
    /** On SIGTERM, how long running files may take to finish before they are aborted cleanly. */
    shutdownDeadlineMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** How often an idle event stream gets a comment line, so proxies keep it open. */
    sseHeartbeatMs: z.number().int().min(1000).max(300_000).default(15_000),
    /** pino level for the API's structured logs. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    limits: apiLimitsSchema.default({ bodyBytes: 16 * 1024, maxConcurrency: 16, maxPageSize: 100 }),
    rateLimit: apiRateLimitSchema.default({ max: 600, authFailures: 20, windowMs: 60_000 }),
    session: apiSessionSchema.default({ ttlMs: 8 * 3_600_000 }),
  })
  .strict();

/** The validated `api:` block. */
export type ApiConfig = z.output<typeof apiConfigSchema>;
export type ApiConfigInput = z.input<typeof apiConfigSchema>;

/**
 * Parses the `api:` block of a loaded config, with `overrides` (command-line flags) on top;
 * a bad field fails with its path, like the rest of the config.
 */
export function parseApiConfig(loaded: LoadedConfig, overrides: Partial<ApiConfigInput> = {}): ApiConfig {
  const block = loaded.config.api ?? {};
  const raw = typeof block === 'object' && block !== null && !Array.isArray(block) ? { ...block, ...overrides } : block;
  const result = apiConfigSchema.safeParse(raw);
  if (!result.success) {
    const flags = Object.keys(overrides).length > 0 ? ` (with ${Object.keys(overrides).map((key) => `--${key}`).join(', ')})` : '';
    throw new OctoError('config', `config ${shownPath(loaded.file)}${flags} is invalid:\n${formatIssues(result.error.issues).replace(/^ {2}/gm, '  api.').replace(/^ {2}api\.\(root\)/gm, '  api')}`, { fatal: true });
  }
  return result.data;
}
