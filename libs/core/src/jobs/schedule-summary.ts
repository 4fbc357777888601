import { nextScheduledRun } from './next-scheduled-run.js';
import type { ScheduleConfig } from './schedule-config-schema.js';

/** A schedule as `GET /v1/providers` and `octo providers --json` show it. */
export type ScheduleView = { readonly cron: string; readonly timezone: string } | { readonly every: string };

/** A provider's schedule and its next run, or nulls when it has none. */
export interface ScheduleSummary {
  readonly schedule: ScheduleView | null;
  /** ISO time of the next tick (the scheduler's armed one when given, else computed from config). */
  readonly nextRunAt: string | null;
}

/** Summarises `schedule` as of `now`; `armed` is the scheduler's next tick when one runs in this process. */
export function scheduleSummary(schedule: ScheduleConfig | undefined, now: Date, armed?: Date): ScheduleSummary {
  if (!schedule) return { schedule: null, nextRunAt: null };
  const view: ScheduleView = schedule.kind === 'cron' ? { cron: schedule.cron, timezone: schedule.timezone } : { every: schedule.every };
  return { schedule: view, nextRunAt: (armed ?? nextScheduledRun(schedule, now)).toISOString() };
}
