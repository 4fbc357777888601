import { JobConflictError, Scheduler, type Logger, type OctoRuntime, type ScheduleConfig, type SchedulerClock } from '@octo/core';
import { ApiError } from '../http/api-error.js';
import type { JobService } from './job-service.js';

/**
 * The scheduler of the providers that have a `schedule:` in config. Its ticks start syncs
 * through {@link JobService}, as `POST /v1/providers/:name/jobs` does, so a scheduled job is
 * recorded, listed, streamed and counted like any other; a provider still syncing (here or in
 * another process) has its tick skipped.
 */
export function createProviderScheduler(runtime: OctoRuntime, jobs: JobService, logger: Logger, clock?: SchedulerClock): Scheduler {
  const schedules = new Map<string, ScheduleConfig>();
  for (const [name, provider] of Object.entries(runtime.loaded.config.providers)) if (provider.schedule) schedules.set(name, provider.schedule);
  return new Scheduler(schedules, {
    clock,
    logger,
    starter: {
      isRunning: async (provider) => (await jobs.runningJobId(provider)) !== undefined,
      start: async (provider) => {
        try {
          return await jobs.start(provider, { dryRun: false });
        } catch (error) {
          // The API's 409 (a start raced this tick) is the scheduler's "still syncing".
          if (ApiError.is(error) && error.statusCode === 409) throw new JobConflictError(provider, error.jobId);
          throw error;
        }
      },
    },
  });
}
