import type { JobEvent, OctoErrorKind } from '@octo/core';
import type { Reporter } from './reporter.js';

/** What `--json` prints when a run fails before any provider can be named (a config that cannot be read with `--all`). */
export interface JsonErrorEvent {
  readonly type: 'error';
  readonly kind: OctoErrorKind;
  readonly reason: string;
  readonly at: string;
}

/** `--json`: one JSON event per line (NDJSON) on stdout. */
export class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  onEvent(event: JobEvent): void {
    this.out.write(`${JSON.stringify(event)}\n`);
  }

  onError(event: JsonErrorEvent): void {
    this.out.write(`${JSON.stringify(event)}\n`);
  }

  stop(): void {
    // Every line is already written; nothing to tear down.
  }
}
