import type { JobEvent, JobSummary } from '../ports/job-events.js';
import type { JobReport } from './job-report.js';
import { applyJobEvent, initialJobState, type JobState } from './job-projection.js';
import type { JobHandle } from './job-runner.js';

/** A job of the in-process runner: projects its events into its state, keeps them for late subscribers and fans them out. */
export class RunningJob implements JobHandle {
  readonly events: JobEvent[] = [];
  readonly state: JobState;
  readonly done: Promise<JobSummary>;
  private resolveDone!: (summary: JobSummary) => void;
  private readonly listeners = new Set<(event: JobEvent, id: number) => void>();
  private readonly controller = new AbortController();
  private ended = false;
  private closed = false;

  constructor(
    readonly id: string,
    readonly provider: string,
    readonly dryRun: boolean,
    report: JobReport,
  ) {
    this.state = initialJobState(report);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get finished(): boolean {
    return this.ended;
  }

  /** Takes one event of the run; none after the job ended (an abandoned run may still send some). */
  readonly emit = (event: JobEvent): void => {
    if (this.closed) return;
    if (event.type === 'job.finished') this.closed = true;
    this.events.push(event);
    applyJobEvent(this.state, event);
    const id = this.events.length;
    for (const listener of this.listeners) listener(event, id);
  };

  /** Follows the run to its end; `cleanup` frees the provider and writes the final report before `done` resolves. */
  run(summary: Promise<JobSummary>, cleanup: () => Promise<void>): void {
    void summary.then(async (result) => {
      if (this.ended) return;
      if (!this.closed) this.emit({ type: 'job.finished', jobId: this.id, summary: result, at: result.finishedAt });
      await this.end(cleanup, result);
    });
    this.cleanup = cleanup;
  }

  abandon(summary: JobSummary): void {
    if (this.ended) return;
    this.emit({ type: 'job.finished', jobId: this.id, summary, at: summary.finishedAt });
    void this.end(this.cleanup, summary);
  }

  subscribe(listener: (event: JobEvent, id: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cancel(): void {
    this.controller.abort();
  }

  private cleanup: () => Promise<void> = async () => undefined;

  private async end(cleanup: () => Promise<void>, summary: JobSummary): Promise<void> {
    this.ended = true;
    await cleanup().catch(() => undefined);
    this.resolveDone(summary);
  }
}
