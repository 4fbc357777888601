import { Cron } from 'croner';
import type { ScheduleConfig } from './schedule-config-schema.js';

/**
 * The first instant strictly after `after` at which `schedule` fires: the next cron match in
 * its time zone (daylight-saving changes included), or the next multiple of the interval since
 * the Unix epoch. Depends on nothing but the config, so the CLI and the server agree on it.
 */
export function nextScheduledRun(schedule: ScheduleConfig, after: Date): Date {
  if (schedule.kind === 'every') {
    return new Date((Math.floor(after.getTime() / schedule.intervalMs) + 1) * schedule.intervalMs);
  }
  const next = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true }).nextRun(after);
  // Every 5-field expression croner accepts has a next match (even "0 0 29 2 *" within 8 years).
  if (!next) throw new RangeError(`cron "${schedule.cron}" has no next run after ${after.toISOString()}`);
  return next;
}
