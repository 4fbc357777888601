import type { JobEvent } from '../ports/job-events.js';
import type { Logger } from '../ports/logger.js';
import { JOB_BEAT_MS } from './job-liveness.js';
import type { JobState } from './job-projection.js';
import type { JobStore, StoredJobEvent } from './job-store.js';

/** How often, at most, a running job's report and events are written as files end. */
export const JOB_WRITE_INTERVAL_MS = 1000;

/**
 * Writes one job to the job store as it runs: its report (at start, at most once a second as
 * files end, on every heartbeat, and at the end) and its events (all but `file.progress`, which
 * only live followers need), so every other process sees the job while it runs and after.
 * Writes are one after the other; a failed write is logged and the job goes on.
 */
export class JobRecorder {
  private readonly pending: StoredJobEvent[] = [];
  private writes: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly beat: NodeJS.Timeout;
  private lastWrite = 0;
  private lastEventId = 0;

  constructor(
    private readonly store: JobStore,
    private readonly state: JobState,
    private readonly logger: Logger,
  ) {
    this.beat = setInterval(() => void this.flush(), JOB_BEAT_MS);
    this.beat.unref();
  }

  /** Writes the job's first report. */
  start(): Promise<void> {
    return this.flush();
  }

  /** Takes the job's event number `id`. */
  record(event: JobEvent, id: number): void {
    if (event.type === 'file.progress') return;
    this.pending.push({ id, event });
    if (event.type === 'job.started') void this.flush();
    else this.flushSoon();
  }

  /** Stops the heartbeat and writes the final report and the last events. */
  async finish(): Promise<void> {
    clearInterval(this.beat);
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private flushSoon(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + JOB_WRITE_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
    this.timer.unref();
  }

  private flush(): Promise<void> {
    this.writes = this.writes.then(async () => {
      this.lastWrite = Date.now();
      // Taken together, in one tick: the report holds exactly the events up to lastEventId (the
      // files array grows in place, so it is copied).
      const events = this.pending.splice(0);
      const report = { ...this.state.report, files: [...this.state.report.files] };
      const jobId = report.jobId;
      this.lastEventId = events.at(-1)?.id ?? this.lastEventId;
      const lastEventId = this.lastEventId;
      try {
        await this.store.appendEvents(jobId, events);
        await this.store.save({ ...report, lastEventId, heartbeatAt: new Date().toISOString() });
      } catch (error) {
        this.logger.error('cannot write the job to the job store', { jobId, error: (error as Error).message });
      }
    });
    return this.writes;
  }
}
