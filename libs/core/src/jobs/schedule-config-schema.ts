import { Cron } from 'croner';
import { z } from 'zod';

/** The shortest interval a schedule may have: a sync of an unchanged drop still lists the source. */
export const MIN_SCHEDULE_INTERVAL_MS = 10_000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Reads `30s`, `15m`, `1h`, `1d` as milliseconds; undefined for anything else. */
export function parseScheduleInterval(text: string): number | undefined {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}

/** Whether `zone` is an IANA time zone this runtime knows. */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function cronIssue(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5) return `expected a cron expression of 5 fields (minute hour day-of-month month day-of-week, e.g. "0 6 * * 1-5"), got ${fields}`;
  try {
    new Cron(expression, { paused: true });
    return undefined;
  } catch (error) {
    return `invalid cron expression "${expression}": ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

function intervalIssue(text: string): string | undefined {
  const ms = parseScheduleInterval(text);
  if (ms === undefined) return `expected an interval such as 30s, 15m, 1h or 1d, got "${text}"`;
  if (ms < MIN_SCHEDULE_INTERVAL_MS) return `interval "${text}" is too short: the shortest is 10s`;
  return undefined;
}

/** A provider's schedule once validated: a cron expression read in a time zone, or an interval. */
export type ScheduleConfig =
  | { readonly kind: 'cron'; readonly cron: string; readonly timezone: string }
  | { readonly kind: 'every'; readonly every: string; readonly intervalMs: number };

/**
 * A provider's `schedule:`: `{ cron: "0 6 * * 1-5", timezone: "Europe/Paris" }` (5 fields, time zone
 * default UTC) or `{ every: "15m" }` (`s`, `m`, `h`, `d`; at least 10s), which runs at every
 * multiple of the interval since the Unix epoch, so `15m` runs at :00, :15, :30 and :45.
 */
export const scheduleConfigSchema = z
  .object({
    cron: z.string().optional(),
    timezone: z.string().optional(),
    every: z.string().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const add = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (value.cron === undefined && value.every === undefined) return add('cron', 'expected either cron (e.g. "0 6 * * *") or every (e.g. "15m")');
    if (value.cron !== undefined && value.every !== undefined) return add('every', 'expected either cron or every, not both');
    if (value.every !== undefined) {
      if (value.timezone !== undefined) add('timezone', 'a time zone applies to cron only: an interval runs at the same instants everywhere');
      const issue = intervalIssue(value.every);
      if (issue) add('every', issue);
      return;
    }
    const issue = cronIssue(value.cron ?? '');
    if (issue) add('cron', issue);
    if (value.timezone !== undefined && !isKnownTimeZone(value.timezone)) add('timezone', `unknown time zone "${value.timezone}": expected an IANA name such as Europe/Paris or America/New_York`);
  })
  .transform((value): ScheduleConfig =>
    value.every !== undefined
      ? { kind: 'every', every: value.every.trim(), intervalMs: parseScheduleInterval(value.every) ?? MIN_SCHEDULE_INTERVAL_MS }
      : { kind: 'cron', cron: (value.cron ?? '').trim(), timezone: value.timezone ?? 'UTC' },
  );
