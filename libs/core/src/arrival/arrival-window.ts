import { Cron } from 'croner';
import type { ArrivalExpectation } from './expectation-config-schema.js';

/** The window a deadline judges: files ingested after `opensAt` (the deadline before) count for `deadline`. */
export interface ArrivalWindow {
  readonly opensAt: Date;
  /** The latest deadline at or before now. */
  readonly deadline: Date;
  /** The deadline after now, when the next check is due. */
  readonly nextDeadline: Date;
}

/**
 * The window of the latest deadline at or before `now` (undefined before the expectation's
 * first two deadlines, which no real config meets). Deadlines are the cron's matches in its
 * time zone, daylight-saving changes included; croner counts in whole seconds.
 */
export function arrivalWindow(expectation: ArrivalExpectation, now: Date): ArrivalWindow | undefined {
  const cron = new Cron(expectation.cron, { timezone: expectation.timezone, paused: true });
  // previousRuns is strictly before its reference, at second precision: look a second ahead, keep what is not after now.
  const [deadline, opensAt] = cron.previousRuns(3, new Date(now.getTime() + 1000)).filter((run) => run.getTime() <= now.getTime());
  const nextDeadline = cron.nextRun(now);
  if (!deadline || !opensAt || !nextDeadline) return undefined;
  return { opensAt, deadline, nextDeadline };
}
