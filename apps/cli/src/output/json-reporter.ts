import type { JobEvent } from '@octo/core';
import type { Reporter } from './reporter.js';

/** `--json`: one JSON event per line (NDJSON) on stdout. */
export class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  onEvent(event: JobEvent): void {
    this.out.write(`${JSON.stringify(event)}\n`);
  }

  stop(): void {
    // Every line is already written; nothing to tear down.
  }
}
