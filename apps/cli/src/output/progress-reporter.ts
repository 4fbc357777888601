import type { JobEvent } from '@octo/core';
import { renderProgress, type FileInFlight, type ProgressState } from './progress-view.js';
import type { Reporter } from './reporter.js';
import { printable } from './terminal-text.js';

/** A terminal the view draws on. */
export interface ProgressTerminal {
  write(text: string): unknown;
  readonly columns?: number;
}

/** How far back the rate looks: long enough to be steady, short enough to follow a change. */
const RATE_WINDOW_MS = 5_000;

/** One job's totals and files in flight (several providers may sync at once). */
interface JobView {
  state: ProgressState;
  readonly inFlight: Map<string, FileInFlight>;
  finishedBytes: number;
  readonly samples: Array<{ at: number; bytes: number }>;
}

/**
 * On a TTY: the live view of {@link renderProgress}, one block per job, redrawn in place every
 * `intervalMs` and at each file's end, from `file.progress` events (bytes move while a file
 * runs, not only when it ends). A failure is printed above the view, which is drawn again below it.
 */
export class ProgressReporter implements Reporter {
  private readonly jobs = new Map<string, JobView>();
  private drawn = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: ProgressTerminal = process.stderr,
    private readonly clock: () => number = Date.now,
    intervalMs = 500,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.draw(), intervalMs);
      this.timer.unref();
    }
  }

  onEvent(event: JobEvent): void {
    const now = this.clock();
    if (event.type === 'job.started') {
      const state = { provider: event.provider, filesDone: 0, filesFailed: 0, filesTotal: event.total, bytesDone: 0, bytesTotal: event.totalBytes, startedAt: now, inFlight: [] };
      this.jobs.set(event.jobId, { state, inFlight: new Map(), finishedBytes: 0, samples: [] });
    }
    const job = this.jobs.get(event.jobId);
    if (!job) return;
    switch (event.type) {
      case 'file.started':
        job.inFlight.set(event.path, { path: event.path, size: event.size, bytes: 0, startedAt: now });
        break;
      case 'file.progress': {
        const file = job.inFlight.get(event.path);
        if (file) job.inFlight.set(event.path, { ...file, bytes: event.bytes });
        break;
      }
      case 'file.done':
      case 'file.failed': {
        job.inFlight.delete(event.path);
        job.finishedBytes = event.progress.bytesDone - [...job.inFlight.values()].reduce((sum, file) => sum + file.bytes, 0);
        job.state = { ...job.state, filesDone: event.progress.filesDone, filesFailed: job.state.filesFailed + (event.type === 'file.failed' ? 1 : 0) };
        if (event.type === 'file.failed') this.printAbove(`FAILED ${printable(event.path)} [${event.kind}] ${printable(event.reason)}`);
        break;
      }
      case 'job.finished':
        job.inFlight.clear();
        job.finishedBytes = Math.max(job.finishedBytes, job.state.bytesTotal);
        break;
      default:
        break;
    }
    update(job, now);
    if (event.type !== 'file.progress') this.draw();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw();
  }

  private printAbove(line: string): void {
    this.erase();
    this.out.write(`${line}\n`);
  }

  /** Moves up over the lines drawn last and clears them, so the next drawing starts clean. */
  private erase(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (this.jobs.size === 0) return;
    const now = this.clock();
    const lines: string[] = [];
    for (const job of this.jobs.values()) {
      update(job, now);
      lines.push(...renderProgress(job.state, now, this.out.columns ?? 80));
    }
    this.erase();
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

/** Brings a job's bytes, rate and files in flight up to `now`. */
function update(job: JobView, now: number): void {
  const bytesDone = Math.max(0, job.finishedBytes) + [...job.inFlight.values()].reduce((sum, file) => sum + file.bytes, 0);
  job.samples.push({ at: now, bytes: bytesDone });
  while (job.samples.length > 2 && (job.samples[0]?.at ?? now) < now - RATE_WINDOW_MS) job.samples.shift();
  const first = job.samples[0];
  const rate = first && now > first.at ? ((bytesDone - first.bytes) * 1000) / (now - first.at) : undefined;
  job.state = { ...job.state, bytesDone, ...(rate !== undefined ? { rate } : {}), inFlight: [...job.inFlight.values()] };
}
