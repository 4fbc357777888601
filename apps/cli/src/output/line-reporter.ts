import type { JobEvent } from '@octo/core';
import { formatBytes, formatDuration } from './format.js';
import { printable } from './terminal-text.js';
import type { Reporter } from './reporter.js';

/** Without a TTY: one line per file, for logs. */
export class LineReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  onEvent(event: JobEvent): void {
    switch (event.type) {
      case 'job.started':
        this.out.write(`${event.provider}: ${event.total} file(s) to process, ${formatBytes(event.totalBytes)} (job ${event.jobId})\n`);
        break;
      case 'file.done':
        this.out.write(
          `${event.jobId.slice(0, 8)} ok     ${printable(event.path)} -> ${event.outputs.length} object(s), ${formatDuration(event.durationMs)} [${event.progress.filesDone}/${event.progress.filesTotal} ${event.progress.percent}%]\n`,
        );
        break;
      case 'file.failed':
        this.out.write(
          `${event.jobId.slice(0, 8)} FAILED ${printable(event.path)} [${event.kind}] ${printable(event.reason)} [${event.progress.filesDone}/${event.progress.filesTotal} ${event.progress.percent}%]\n`,
        );
        break;
      default:
        break;
    }
  }

  stop(): void {
    // Every line is already written; nothing to tear down.
  }
}
