import type { OctoErrorKind } from '../errors/octo-error.js';
import { progressPercent } from './progress-percent.js';
import type { FileResult, JobStatus, JobSummary, PlannedFile, Progress, SkippedFile } from '../ports/job-events.js';

/**
 * A file's outcome as a report keeps it: while the job runs, a done file's source sha256 is
 * not known yet (the events do not carry it); the final report has it.
 */
export type ReportedFileResult =
  | (Omit<Extract<FileResult, { status: 'done' }>, 'sha256'> & { readonly sha256?: string })
  | Extract<FileResult, { status: 'failed' }>;

/** Which process ran a job; tells a job still running elsewhere from one whose process died. */
export interface JobOwner {
  readonly pid: number;
  readonly host: string;
  /** A random id per process start, so a report of this process is told from one an earlier process with the same pid left. */
  readonly instance?: string;
}

/**
 * A job's run report as kept in the work directory: written when the job starts, as it
 * goes, and when it ends, so job history survives a restart. A report left `running` by a
 * process that is gone is read back as `interrupted`.
 */
export interface JobReport {
  readonly version: 1;
  readonly jobId: string;
  readonly provider: string;
  readonly status: JobStatus;
  readonly dryRun: boolean;
  /** Files at once, when the caller chose it. */
  readonly concurrency?: number;
  /** When the job was accepted. */
  readonly createdAt: string;
  /** When discovery ended and files started (the `job.started` event). */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly progress: Progress;
  readonly succeeded: number;
  readonly failed: number;
  /** Bytes read from the source for files that landed. */
  readonly bytesIn: number;
  /** Bytes landed in the store. */
  readonly bytesOut: number;
  /** Every file that ended, done or failed, sorted by path once the job is over. */
  readonly files: readonly ReportedFileResult[];
  readonly error?: { readonly kind: OctoErrorKind; readonly reason: string };
  readonly plan?: readonly PlannedFile[];
  /** Files that wait for their ready marker (see {@link JobSummary.waiting}). */
  readonly waiting?: JobSummary['waiting'];
  /** Files found but not attempted (quarantined, or stopped by an earlier failure), each with why; once the job is over. */
  readonly skipped?: readonly SkippedFile[];
  readonly owner: JobOwner;
  /** The id of the job's last event this report includes (SSE `id:`); a follower resumes after it. */
  readonly lastEventId?: number;
  /** Renewed while the job runs; a running job whose heartbeat is older than its lease died with its process. */
  readonly heartbeatAt?: string;
}

/** Orders reports newest first (by `createdAt`, then by job id so the order is stable). */
export function newestJobReportFirst(a: JobReport, b: JobReport): number {
  return b.createdAt.localeCompare(a.createdAt) || a.jobId.localeCompare(b.jobId);
}

/** Statuses of a job that has not ended. */
export const ACTIVE_JOB_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['queued', 'running']);

/**
 * The final report of a finished job, from its summary. `base` carries what only the caller
 * knows (when the job was accepted, the total bytes it planned, the chosen concurrency).
 */
export function finalJobReport(
  summary: JobSummary,
  owner: JobOwner,
  base: { readonly createdAt?: string; readonly bytesTotal?: number; readonly concurrency?: number; readonly startedAt?: string } = {},
): JobReport {
  const filesDone = summary.succeeded + summary.failed;
  const bytesDone = summary.files.reduce((sum, file) => sum + file.size, 0);
  return {
    version: 1,
    jobId: summary.jobId,
    provider: summary.provider,
    status: summary.status,
    dryRun: summary.dryRun,
    ...(base.concurrency !== undefined ? { concurrency: base.concurrency } : {}),
    createdAt: base.createdAt ?? summary.startedAt,
    startedAt: base.startedAt ?? summary.startedAt,
    finishedAt: summary.finishedAt,
    progress: {
      filesDone,
      filesTotal: summary.total,
      percent: progressPercent(filesDone, summary.total),
      bytesDone,
      bytesTotal: base.bytesTotal ?? bytesDone,
    },
    succeeded: summary.succeeded,
    failed: summary.failed,
    bytesIn: summary.bytesIn,
    bytesOut: summary.bytesOut,
    files: summary.files,
    ...(summary.error ? { error: summary.error } : {}),
    ...(summary.plan ? { plan: summary.plan } : {}),
    ...(summary.waiting ? { waiting: summary.waiting } : {}),
    ...(summary.skipped ? { skipped: summary.skipped } : {}),
    owner,
  };
}

/** The first report of a job that was just accepted (nothing done yet). */
export function startedJobReport(job: { readonly id: string; readonly provider: string; readonly dryRun: boolean }, owner: JobOwner, concurrency?: number): JobReport {
  return {
    version: 1,
    jobId: job.id,
    provider: job.provider,
    status: 'running',
    dryRun: job.dryRun,
    ...(concurrency !== undefined ? { concurrency } : {}),
    createdAt: new Date().toISOString(),
    progress: { filesDone: 0, filesTotal: 0, percent: 0, bytesDone: 0, bytesTotal: 0 },
    succeeded: 0,
    failed: 0,
    bytesIn: 0,
    bytesOut: 0,
    files: [],
    owner,
  };
}
