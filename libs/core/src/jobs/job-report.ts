import type { OctoErrorKind } from '../errors/octo-error.js';
import type { FileResult, JobStatus, PlannedFile, Progress } from '../ports/job-events.js';

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
  readonly owner: JobOwner;
}

/** Statuses of a job that has not ended. */
export const ACTIVE_JOB_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['queued', 'running']);
