import type { JobEvent } from '../ports/job-events.js';
import type { JobReport } from './job-report.js';

/** A job event as a store keeps it: with the id it was sent under (SSE `id:`), counting from 1 per job. */
export interface StoredJobEvent {
  readonly id: number;
  readonly event: JobEvent;
}

/** How many finished jobs a store keeps, and for how long. */
export interface JobRetention {
  /** Finished jobs kept, newest first; older ones are removed. */
  readonly maxJobs: number;
  /** Finished jobs older than this (by when they ended) are removed. */
  readonly maxAgeDays: number;
}

/**
 * Where every job's state, report and events live, for every process that reads them: the
 * CLI, the API and workers write here, and any of them sees the jobs of the others. Jobs whose
 * process died while they ran are read back as `interrupted`, never `running` forever.
 */
export interface JobStore {
  /** Writes (or replaces) a job's report; a reader sees the old one or the new one, never half. */
  save(report: JobReport): Promise<void>;
  /** A job's report, `interrupted` when its process is gone. */
  get(jobId: string): Promise<JobReport | undefined>;
  /** Every report, newest first (by `createdAt`), `interrupted` when its process is gone. */
  list(): Promise<JobReport[]>;
  /** Appends events of a job, in order; their ids grow. */
  appendEvents(jobId: string, events: readonly StoredJobEvent[]): Promise<void>;
  /** A job's kept events with an id above `afterId`, in order. */
  readEvents(jobId: string, afterId?: number): Promise<StoredJobEvent[]>;
  /** Rewrites as `interrupted` every active report whose process is gone; returns those it changed. */
  recoverInterrupted(now?: Date): Promise<JobReport[]>;
  /** Removes finished jobs beyond `retention` (their reports and events); returns the ids removed. */
  prune(retention: JobRetention, now?: Date): Promise<string[]>;
}
