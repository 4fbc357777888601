import { ACTIVE_JOB_STATUSES, type JobRunner, type JobStore } from '@octo/core';
import { ApiError } from '../http/api-error.js';
import type { JobDetailView } from '../http/schemas.js';
import { delay } from './drain-jobs.js';
import { jobDetailView } from './job-views.js';

/**
 * Cancels a job that runs in another process: in distributed mode through the runner (a flag in
 * Redis the job's process checks every second), then waits up to `waitMs` for its report to end.
 * 404 for an unknown job; 409 for one that ended, or, in the embedded default (no shared
 * Redis), for one that runs in another process, saying where.
 */
export async function cancelInAnotherProcess(id: string, runner: JobRunner, store: JobStore, waitMs: number): Promise<{ job: JobDetailView; ended: boolean }> {
  const report = await store.get(id);
  if (!report) throw new ApiError(404, `no job ${id}`);
  if (!ACTIVE_JOB_STATUSES.has(report.status)) throw new ApiError(409, `job ${id} is not running (it is ${report.status})`, id);
  if (!(await runner.cancelElsewhere?.(id))) {
    throw new ApiError(
      409,
      `job ${id} runs in another process (pid ${report.owner.pid} on ${report.owner.host}); cancel it there (an API in distributed mode, with queue: redis://..., can cancel any job)`,
      id,
    );
  }
  const until = Date.now() + waitMs;
  for (;;) {
    const now = await store.get(id);
    if (now && !ACTIVE_JOB_STATUSES.has(now.status)) return { job: jobDetailView(now), ended: true };
    if (Date.now() >= until) return { job: jobDetailView(now ?? report), ended: false };
    await delay(250);
  }
}
