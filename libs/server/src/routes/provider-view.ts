import { lateView, scheduleSummary, type OctoRuntime, type ProviderSummary, type Scheduler } from '@octo/core';
import type { JobService } from '../jobs/job-service.js';

/** One provider as the API shows it: config, schedule and next run, its running and last job, and whether it is late. */
export async function providerView(deps: { runtime: OctoRuntime; jobs: JobService; scheduler: Scheduler }, provider: ProviderSummary) {
  return {
    ...provider,
    ...scheduleSummary(deps.runtime.loaded.config.providers[provider.name]?.schedule, new Date(), deps.scheduler.nextRunAt(provider.name)),
    runningJobId: (await deps.jobs.runningJobId(provider.name)) ?? null,
    lastJob: (await deps.jobs.lastJob(provider.name)) ?? null,
    late: lateView(await deps.runtime.arrivals.status(provider.name)),
  };
}
