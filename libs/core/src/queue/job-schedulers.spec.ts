import { describe, expect, it } from 'vitest';
import type { ScheduleConfig } from '../jobs/schedule-config-schema.js';
import { configuredSchedules, jobSchedulerId, syncJobSchedulers, type JobSchedulerQueue } from './job-schedulers.js';

/** The job schedulers of a queue, as Redis would keep them, with every call recorded. */
function fakeQueue(existing: string[] = []) {
  const schedulers = new Map<string, { repeat: unknown; template: unknown }>(existing.map((key) => [key, { repeat: {}, template: {} }]));
  const calls: string[] = [];
  const queue = {
    upsertJobScheduler: async (id: string, repeat: unknown, template: unknown) => {
      calls.push(`upsert ${id}`);
      schedulers.set(id, { repeat, template });
      return undefined;
    },
    getJobSchedulers: async () => [...schedulers.keys()].map((key) => ({ key, name: 'sync' })),
    removeJobScheduler: async (id: string) => {
      calls.push(`remove ${id}`);
      return schedulers.delete(id);
    },
  } as unknown as JobSchedulerQueue;
  return { queue, schedulers, calls };
}

const cron: ScheduleConfig = { kind: 'cron', cron: '0 6 * * 1-5', timezone: 'Europe/Paris' };
const every: ScheduleConfig = { kind: 'every', every: '15m', intervalMs: 900_000 };

describe('syncJobSchedulers', () => {
  it('upserts one scheduler per scheduled provider: a cron with its time zone, an interval from its next multiple since the epoch', async () => {
    const { queue, schedulers } = fakeQueue();
    const changes = await syncJobSchedulers(queue, new Map<string, ScheduleConfig>([['acme', cron], ['globex', every]]), new Date('2026-12-01T10:07:00Z'));
    expect(changes).toEqual({ upserted: ['acme', 'globex'], removed: [] });
    expect([...schedulers.keys()]).toEqual(['sync-acme', 'sync-globex']);
    expect(schedulers.get('sync-acme')).toEqual({ repeat: { pattern: '0 6 * * 1-5', tz: 'Europe/Paris' }, template: { name: 'sync', data: { provider: 'acme' }, opts: { removeOnComplete: 100, removeOnFail: 100 } } });
    expect(schedulers.get('sync-globex')?.repeat).toEqual({ every: 900_000, startDate: new Date('2026-12-01T10:15:00Z') });
  });

  it('gives the same scheduler id in every process, so two upserts write one scheduler', async () => {
    const { queue, schedulers, calls } = fakeQueue();
    await syncJobSchedulers(queue, new Map([['acme', every]]));
    await syncJobSchedulers(queue, new Map([['acme', every]]));
    expect(jobSchedulerId('acme')).toBe('sync-acme');
    expect(calls).toEqual(['upsert sync-acme', 'upsert sync-acme']);
    expect(schedulers.size).toBe(1);
  });

  it('removes the schedulers of providers whose schedule left the config, and leaves other keys alone', async () => {
    const { queue, schedulers, calls } = fakeQueue(['sync-acme', 'sync-gone', 'not-ours']);
    const changes = await syncJobSchedulers(queue, new Map([['acme', cron]]));
    expect(changes).toEqual({ upserted: ['acme'], removed: ['gone'] });
    expect(calls).toEqual(['upsert sync-acme', 'remove sync-gone']);
    expect([...schedulers.keys()].sort()).toEqual(['not-ours', 'sync-acme']);
  });

  it('removes every scheduler when no provider has a schedule', async () => {
    const { queue, schedulers } = fakeQueue(['sync-acme', 'sync-globex']);
    expect(await syncJobSchedulers(queue, new Map())).toEqual({ upserted: [], removed: ['acme', 'globex'] });
    expect(schedulers.size).toBe(0);
  });
});

describe('configuredSchedules', () => {
  it('keeps the providers that have a schedule', () => {
    expect([...configuredSchedules({ acme: { schedule: cron }, plain: {} })]).toEqual([['acme', cron]]);
  });
});
