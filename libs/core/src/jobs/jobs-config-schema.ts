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
    /** `octo worker` (distributed mode); defaults in {@link workerSettings}. */
    worker: z
      .object({
        /** Files at once per provider in one worker process (`--concurrency` overrides it). */
        concurrency: z.number().int().min(1).max(256).optional(),
        /** On SIGTERM, how long files in flight may finish before they are aborted and handed back to the queue. */
        stopTimeoutSeconds: z.number().int().min(0).max(3600).optional(),
        /** How long a dead worker's file waits before another worker takes it (BullMQ's lock duration and stall check). */
        stallSeconds: z.number().int().min(2).max(3600).optional(),
      })
      .strict()
      .optional(),
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

/** `jobs.worker` with its defaults: 4 files at once per provider, 30 s to stop, 30 s before a dead worker's file is taken over. */
export function workerSettings(jobs: JobsConfig): { concurrency: number; stopTimeoutSeconds: number; stallSeconds: number } {
  return { concurrency: jobs.worker?.concurrency ?? 4, stopTimeoutSeconds: jobs.worker?.stopTimeoutSeconds ?? 30, stallSeconds: jobs.worker?.stallSeconds ?? 30 };
}
