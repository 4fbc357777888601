import type { JobEvent } from '@octo/core';

/** Shows a job's events to a person or a program. */
export interface Reporter {
  onEvent(event: JobEvent): void;
  /** Called once every job has ended, before the summary is printed. */
  stop(): void;
}
