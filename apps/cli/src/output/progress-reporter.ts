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
  private overall?: cliProgress.SingleBar;
  private readonly inFlight = new Map<string, cliProgress.SingleBar>();
  private bytesTotal = 0;
  private bytesDone = 0;

  onEvent(event: JobEvent): void {
    switch (event.type) {
      case 'job.started':
        this.bytesTotal = event.totalBytes;
        this.overall = this.bars.create(Math.max(event.total, 1), 0, { label: pad(event.provider), detail: this.detail(0, event.total) });
        if (event.total === 0) this.overall.update(1, { detail: 'nothing to do' });
        break;
      case 'file.started':
        this.inFlight.set(event.path, this.bars.create(Math.max(event.size, 1), 0, { label: pad(`  ${event.path}`), detail: formatBytes(event.size) }));
        break;
      case 'file.progress':
        this.inFlight.get(event.path)?.update(event.bytes);
        break;
      case 'file.done':
      case 'file.failed': {
        const bar = this.inFlight.get(event.path);
        if (bar) {
          this.bars.remove(bar);
          this.inFlight.delete(event.path);
        }
        if (event.type === 'file.failed') this.bars.log(`FAILED ${event.path} [${event.kind}] ${event.reason}\n`);
        this.bytesDone = event.progress.bytesDone;
        this.overall?.update(event.progress.filesDone, { detail: this.detail(event.progress.filesDone, event.progress.filesTotal) });
        break;
      }
      default:
        break;
    }
  }

  stop(): void {
    this.bars.stop();
  }

  private detail(done: number, total: number): string {
    return `${done}/${total} files, ${formatBytes(this.bytesDone)}/${formatBytes(this.bytesTotal)}`;
  }
}

function pad(label: string): string {
  return label.length > 36 ? `...${label.slice(-33)}` : label.padEnd(36);
}
