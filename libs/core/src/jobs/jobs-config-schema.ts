import { z } from 'zod';

/** The `jobs:` block of the config: job history kept and syncs run at once. */
export const jobsConfigSchema = z
  .object({
    /** Finished jobs kept in the job store: the newest `maxJobs`, none older than `maxAgeDays`. */
    retention: z
      .object({
        maxJobs: z.number().int().min(1).max(1_000_000).default(1000),
        maxAgeDays: z.number().positive().max(36_500).default(30),
      })
      .strict()
      .default({ maxJobs: 1000, maxAgeDays: 30 }),
    /** Providers synced at once by `octo sync a b` and `--all`. */
    providersAtOnce: z.number().int().min(1).max(64).default(4),
  })
  .strict();

/** The `jobs:` block once validated. */
export type JobsConfig = z.output<typeof jobsConfigSchema>;

/**
 * `queue:` the Redis that distributed mode shares (`redis://host:port[/db]`, `rediss://` for
 * TLS). Its password, if any, comes from `OCTO_REDIS_URL`, never from the config file.
 */
export const queueUrlSchema = z
  .string()
  .regex(/^rediss?:\/\/[^\s]+$/, 'expected a Redis URL such as redis://127.0.0.1:6379')
  .refine((url) => !/^rediss?:\/\/[^/@]*:[^/@]*@/.test(url), 'the Redis password must not be written in config: set OCTO_REDIS_URL=redis://user:password@host:port instead');
