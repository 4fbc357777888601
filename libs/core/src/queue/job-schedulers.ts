import type { Queue } from 'bullmq';
import { nextScheduledRun } from '../jobs/next-scheduled-run.js';
import type { ScheduleConfig } from '../jobs/schedule-config-schema.js';

/** What a scheduled tick's job carries: the provider to sync. */
export interface ScheduledSyncData {
  readonly provider: string;
}

/** The part of a BullMQ queue that {@link syncJobSchedulers} uses (unit specs pass a fake). */
export type JobSchedulerQueue = Pick<Queue<ScheduledSyncData>, 'upsertJobScheduler' | 'getJobSchedulers' | 'removeJobScheduler'>;

const SCHEDULER_PREFIX = 'sync-';

/**
 * The id of a provider's job scheduler. It depends on the provider's name only, so every
 * process that upserts it (each `octo worker`, each `octo serve`) writes the same scheduler,
 * and BullMQ makes one job per tick of it, whichever process asks.
 */
export function jobSchedulerId(provider: string): string {
  return `${SCHEDULER_PREFIX}${provider}`;
}

/** What {@link syncJobSchedulers} changed in Redis. */
export interface JobSchedulerChanges {
  readonly upserted: readonly string[];
  readonly removed: readonly string[];
}

/**
 * Makes the schedule queue's job schedulers match `schedules` (the config's): upserts one per
 * scheduled provider (idempotent: an unchanged schedule keeps its next tick) and removes those
 * of providers whose `schedule:` left the config. An interval starts at its next multiple since
 * the Unix epoch, as in the embedded default, so `15m` ticks at :00, :15, :30 and :45.
 */
export async function syncJobSchedulers(queue: JobSchedulerQueue, schedules: ReadonlyMap<string, ScheduleConfig>, now = new Date()): Promise<JobSchedulerChanges> {
  const upserted: string[] = [];
  for (const [provider, schedule] of schedules) {
    const repeat = schedule.kind === 'cron' ? { pattern: schedule.cron, tz: schedule.timezone } : { every: schedule.intervalMs, startDate: nextScheduledRun(schedule, now) };
    await queue.upsertJobScheduler(jobSchedulerId(provider), repeat, {
      name: 'sync',
      data: { provider },
      // A tick's job only starts a sync (the sync is its own job in the job store): keep a few for inspection.
      opts: { removeOnComplete: 100, removeOnFail: 100 },
    });
    upserted.push(provider);
  }
  const wanted = new Set([...schedules.keys()].map(jobSchedulerId));
  const removed: string[] = [];
  for (const scheduler of await queue.getJobSchedulers(0, -1)) {
    if (!scheduler.key.startsWith(SCHEDULER_PREFIX) || wanted.has(scheduler.key)) continue;
    await queue.removeJobScheduler(scheduler.key);
    removed.push(scheduler.key.slice(SCHEDULER_PREFIX.length));
  }
  return { upserted, removed };
}

/** The providers of `config` that have a `schedule:`, by name. */
export function configuredSchedules(providers: Readonly<Record<string, { readonly schedule?: ScheduleConfig }>>): Map<string, ScheduleConfig> {
  const schedules = new Map<string, ScheduleConfig>();
  for (const [name, provider] of Object.entries(providers)) if (provider.schedule) schedules.set(name, provider.schedule);
  return schedules;
}
