import cliProgress from 'cli-progress';
import type { JobEvent } from '@octo/core';
import { formatBytes } from './format.js';
import type { Reporter } from './reporter.js';

/** On a TTY: one overall bar (files and bytes) and one bar per file in flight. */
export class ProgressReporter implements Reporter {
  private readonly bars = new cliProgress.MultiBar(
    {
      clearOnComplete: false,
      hideCursor: true,
      format: '{label} |{bar}| {percentage}% {detail}',
      barsize: 24,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  /** One overall bar per job: several providers may sync at once. */
  private readonly overall = new Map<string, { bar: cliProgress.SingleBar; bytesTotal: number; bytesDone: number }>();
  /** Keyed by job id and path, so two providers' files of one name keep their own bars. */
  private readonly inFlight = new Map<string, cliProgress.SingleBar>();

  onEvent(event: JobEvent): void {
    switch (event.type) {
      case 'job.started':
        {
          const bytes = { bytesTotal: event.totalBytes, bytesDone: 0 };
          const overall = { ...bytes, bar: this.bars.create(Math.max(event.total, 1), 0, { label: pad(event.provider), detail: detail(0, event.total, bytes) }) };
          if (event.total === 0) overall.bar.update(1, { detail: 'nothing to do' });
          this.overall.set(event.jobId, overall);
        }
        break;
      case 'file.started':
        this.inFlight.set(`${event.jobId}/${event.path}`, this.bars.create(Math.max(event.size, 1), 0, { label: pad(`  ${event.path}`), detail: formatBytes(event.size) }));
        break;
      case 'file.progress':
        this.inFlight.get(`${event.jobId}/${event.path}`)?.update(event.bytes);
        break;
      case 'file.done':
      case 'file.failed': {
        const bar = this.inFlight.get(`${event.jobId}/${event.path}`);
        if (bar) {
          this.bars.remove(bar);
          this.inFlight.delete(`${event.jobId}/${event.path}`);
        }
        if (event.type === 'file.failed') this.bars.log(`FAILED ${event.path} [${event.kind}] ${event.reason}\n`);
        const overall = this.overall.get(event.jobId);
        if (overall) {
          overall.bytesDone = event.progress.bytesDone;
          overall.bar.update(event.progress.filesDone, { detail: detail(event.progress.filesDone, event.progress.filesTotal, overall) });
        }
        break;
      }
      default:
        break;
    }
  }

  stop(): void {
    this.bars.stop();
  }
}

function detail(done: number, total: number, bytes: { bytesDone: number; bytesTotal: number }): string {
  return `${done}/${total} files, ${formatBytes(bytes.bytesDone)}/${formatBytes(bytes.bytesTotal)}`;
}

function pad(label: string): string {
  return label.length > 36 ? `...${label.slice(-33)}` : label.padEnd(36);
}
