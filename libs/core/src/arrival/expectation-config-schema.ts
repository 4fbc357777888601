import { Cron } from 'croner';
import { z } from 'zod';
import { isKnownTimeZone } from '../jobs/schedule-config-schema.js';

/** Day names as cron numbers (Sunday 0). */
const DAY_NUMBERS: Readonly<Record<string, number>> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

/** A provider's arrival expectation once validated: deadlines as a cron read in a time zone. */
export interface ArrivalExpectation {
  /** 5-field cron whose matches are the deadlines (`by: "06:00", days: mon-fri` is `0 6 * * 1-5`). */
  readonly cron: string;
  readonly timezone: string;
  /** How a person wrote it, for messages: `by 06:00 on mon-fri (Europe/London)`. */
  readonly description: string;
}

/** `mon-fri`, `mon,wed,fri`, `sat-sun`, `daily`: the cron day-of-week field, or why not. */
export function cronDays(days: string): string | { issue: string } {
  const text = days.trim().toLowerCase();
  if (text === 'daily' || text === '*') return '*';
  const parts = text.split(',').map((part) => part.trim());
  const out: string[] = [];
  for (const part of parts) {
    const [from, to, ...rest] = part.split('-');
    const first = from === undefined ? undefined : DAY_NUMBERS[from];
    const last = to === undefined ? first : DAY_NUMBERS[to];
    if (first === undefined || last === undefined || rest.length > 0) {
      return { issue: `expected days such as mon-fri, mon,wed,fri or daily, got "${days}"` };
    }
    out.push(to === undefined ? String(first) : `${first}-${last}`);
  }
  return out.join(',');
}

function cronIssue(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5) return `expected a cron expression of 5 fields (e.g. "0 6 * * 1-5": 06:00 on weekdays), got ${fields}`;
  try {
    new Cron(expression, { paused: true });
    return undefined;
  } catch (error) {
    return `invalid cron expression "${expression}": ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

/**
 * A provider's `expect:`: when something new must have arrived. `{ by: "06:00", days: "mon-fri",
 * timezone: "Europe/London" }` (days default daily, time zone default UTC), or a cron whose matches
 * are the deadlines, `{ cron: "0 6 * * 1-5", timezone: ... }`. Each deadline's window opens at the
 * deadline before it: a file ingested in between is on time.
 */
export const expectationConfigSchema = z
  .object({
    by: z.string().optional(),
    days: z.string().optional(),
    cron: z.string().optional(),
    timezone: z.string().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    const add = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (value.by === undefined && value.cron === undefined) return add('by', 'expected by (a time of day such as "06:00") or cron (e.g. "0 6 * * 1-5")');
    if (value.by !== undefined && value.cron !== undefined) return add('cron', 'expected either by (with days) or cron, not both');
    if (value.timezone !== undefined && !isKnownTimeZone(value.timezone)) add('timezone', `unknown time zone "${value.timezone}": expected an IANA name such as Europe/London`);
    if (value.cron !== undefined) {
      if (value.days !== undefined) add('days', 'days go with by; in a cron, days are its fifth field');
      const issue = cronIssue(value.cron);
      if (issue) add('cron', issue);
      return;
    }
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(value.by ?? '')) add('by', `expected a time of day as HH:MM (24 h), e.g. "06:00", got "${value.by}"`);
    const days = cronDays(value.days ?? 'daily');
    if (typeof days !== 'string') add('days', days.issue);
  })
  .transform((value): ArrivalExpectation => {
    const timezone = value.timezone ?? 'UTC';
    if (value.cron !== undefined) return { cron: value.cron.trim(), timezone, description: `at each match of "${value.cron.trim()}" (${timezone})` };
    const [hours, minutes] = (value.by ?? '00:00').split(':').map(Number);
    const days = value.days ?? 'daily';
    return { cron: `${minutes} ${hours} * * ${cronDays(days) as string}`, timezone, description: `by ${value.by} ${days === 'daily' ? 'every day' : `on ${days}`} (${timezone})` };
  });

export type ExpectationConfigInput = z.input<typeof expectationConfigSchema>;
