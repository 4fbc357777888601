import { ACTIVE_JOB_STATUSES, newestJobReportFirst, type JobReport } from './job-report.js';
import type { JobRetention } from './job-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The finished jobs that fall outside `retention`: beyond the newest `maxJobs` finished ones,
 * or ended more than `maxAgeDays` ago. Active jobs are never pruned.
 */
export function jobsToPrune(reports: readonly JobReport[], retention: JobRetention, now = new Date()): string[] {
  const finished = reports.filter((report) => !ACTIVE_JOB_STATUSES.has(report.status)).sort(newestJobReportFirst);
  const oldest = now.getTime() - retention.maxAgeDays * DAY_MS;
  return finished
    .filter((report, index) => index >= retention.maxJobs || Date.parse(report.finishedAt ?? report.createdAt) < oldest)
    .map((report) => report.jobId);
}
