import type { JobEvent, JobEventListener, JobSummary } from '../ports/job-events.js';
import type { JobState } from './job-projection.js';

/** Options a caller may choose for a job; everything else comes from config. */
export interface StartJobOptions {
  readonly dryRun?: boolean;
  readonly concurrency?: number;
}

/** A running (or finished) job: its events so far, its state, its end, and a way to cancel it. */
export interface JobHandle {
  readonly id: string;
  readonly provider: string;
  readonly dryRun: boolean;
  /** Every event so far, in order; an event's id (SSE `id:`) is its index plus one. */
  readonly events: readonly JobEvent[];
  /** The job's state projected from its events (the report so far, the files in flight). */
  readonly state: JobState;
  /** Calls `listener` for each future event with its id; returns the unsubscribe function. */
  subscribe(listener: (event: JobEvent, id: number) => void): () => void;
  /** Resolves with the summary once the job ended, its final report is in the job store and its provider is free (never rejects). */
  readonly done: Promise<JobSummary>;
  /** Stops taking files and aborts those in flight; nothing partial becomes visible. */
  cancel(): void;
  /**
   * Ends the job now with `summary` (a cancel that did not end within its deadline): its
   * report says so and later events of the run are ignored.
   */
  abandon(summary: JobSummary): void;
  readonly finished: boolean;
}

/** Starts syncs, records them in the job store, and tracks those of this process. */
export interface JobRunner {
  /** Starts a sync; rejects with a fatal OctoError (`kind: 'config'`) when the provider is already syncing or unknown. */
  start(provider: string, options?: StartJobOptions): Promise<JobHandle>;
  /** A job this process runs or ran recently. */
  get(id: string): JobHandle | undefined;
  /** The running job of a provider in this process, if any. */
  running(provider: string): JobHandle | undefined;
  list(): JobHandle[];
  /**
   * Asks the process that runs job `id` to cancel it (distributed mode, through Redis); false
   * when this runner cannot reach other processes (the embedded default) or the job is not running.
   */
  cancelElsewhere?(id: string): Promise<boolean>;
  /** Releases what the runner holds open (distributed mode's Redis connections). */
  close?(): Promise<void>;
}

export type { JobEventListener };
