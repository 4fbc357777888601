import { describe, expect, it } from 'vitest';
import type { Logger } from '../ports/logger.js';
import { JobConflictError } from './job-conflict-error.js';
import { nextScheduledRun } from './next-scheduled-run.js';
import type { ScheduleConfig } from './schedule-config-schema.js';
import { Scheduler, type SchedulerClock, type ScheduledSyncStarter } from './scheduler.js';

/** A clock whose time moves only when the test says so; timers fire in order as it passes them. */
class FakeClock implements SchedulerClock {
  private timers: Array<{ id: number; at: number; callback: () => void }> = [];
  private ids = 0;
  constructor(private time: number) {}
  now = () => new Date(this.time);
  setTimeout = (callback: () => void, ms: number) => {
    // Node fires a timer of more than 2^31-1 ms at once; a scheduler must never ask for one.
    if (ms > 2 ** 31 - 1) throw new RangeError(`a timer of ${ms} ms would fire at once`);
    const id = ++this.ids;
    this.timers.push({ id, at: this.time + ms, callback });
    return id;
  };
  clearTimeout = (timer: unknown) => {
    this.timers = this.timers.filter((entry) => entry.id !== timer);
  };
  get pending(): number {
    return this.timers.length;
  }
  /** Moves time forward by `ms` without firing anything (a suspended process). */
  jump(ms: number): void {
    this.time += ms;
  }
  /** Moves time forward by `ms`, firing each due timer at its instant and letting its promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((entry) => entry.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((entry) => entry !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
      for (let i = 0; i < 10; i += 1) await Promise.resolve();
    }
    this.time = end;
  }
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push(`${level} ${message} ${fields?.['provider'] ?? ''}`.trim());
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A starter whose syncs run until the test ends them. */
function fakeStarter() {
  const started: Array<{ provider: string; at: string }> = [];
  const busy = new Set<string>();
  let clock: FakeClock | undefined;
  const starter: ScheduledSyncStarter & { started: typeof started; busy: Set<string>; use(c: FakeClock): void } = {
    started,
    busy,
    use: (c) => (clock = c),
    isRunning: async (provider) => busy.has(provider),
    start: async (provider) => {
      started.push({ provider, at: clock!.now().toISOString() });
      busy.add(provider);
      return { id: `job-${started.length}` };
    },
  };
  return starter;
}

const every = (ms: number): ScheduleConfig => ({ kind: 'every', every: `${ms / 1000}s`, intervalMs: ms });

describe(Scheduler, () => {
  describe('when its interval ticks pass', () => {
    it('should start one sync per tick, at multiples of the interval', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:05Z'));
      const starter = fakeStarter();
      starter.use(clock);
      const scheduler = new Scheduler(new Map([['acme', every(30_000)]]), { starter, clock });
      scheduler.start();
      expect(scheduler.nextRunAt('acme')?.toISOString()).toBe('2026-12-01T10:00:30.000Z');
      await clock.advance(30_000);
      starter.busy.clear();
      await clock.advance(30_000);
      starter.busy.clear();
      await clock.advance(30_000);
      expect(starter.started).toEqual([
        { provider: 'acme', at: '2026-12-01T10:00:30.000Z' },
        { provider: 'acme', at: '2026-12-01T10:01:00.000Z' },
        { provider: 'acme', at: '2026-12-01T10:01:30.000Z' },
      ]);
      expect(scheduler.nextRunAt('acme')?.toISOString()).toBe('2026-12-01T10:02:00.000Z');
      scheduler.stop();
    });
  });

  describe('when a tick comes while the provider is still syncing', () => {
    it('should skip that tick and log it, and start again at the next free tick', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'));
      const starter = fakeStarter();
      starter.use(clock);
      const logger = recordingLogger();
      const scheduler = new Scheduler(new Map([['acme', every(10_000)]]), { starter, clock, logger });
      scheduler.start();
      await clock.advance(10_000); // starts a sync that keeps running
      await clock.advance(10_000); // skipped
      await clock.advance(10_000); // skipped
      starter.busy.clear();
      await clock.advance(10_000); // starts again
      expect(starter.started.map((entry) => entry.at)).toEqual(['2026-12-01T10:00:10.000Z', '2026-12-01T10:00:40.000Z']);
      expect(logger.lines.filter((line) => line.includes('skipped'))).toEqual([
        'info scheduled sync skipped: the provider is still syncing acme',
        'info scheduled sync skipped: the provider is still syncing acme',
      ]);
      scheduler.stop();
    });

    it('should treat a conflict from the start itself (another process won the race) as a skip, not an error', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'));
      const logger = recordingLogger();
      let calls = 0;
      const starter: ScheduledSyncStarter = {
        isRunning: async () => false,
        start: async (provider) => {
          calls += 1;
          throw new JobConflictError(provider, 'other-job');
        },
      };
      const scheduler = new Scheduler(new Map([['acme', every(10_000)]]), { starter, clock, logger });
      scheduler.start();
      await clock.advance(20_000);
      expect(calls).toBe(2);
      expect(logger.lines.filter((line) => !line.includes('schedules armed'))).toEqual([
        'info scheduled sync skipped: the provider is still syncing acme',
        'info scheduled sync skipped: the provider is still syncing acme',
      ]);
      scheduler.stop();
    });
  });

  describe('when a start fails', () => {
    it('should log a warning and still tick next time', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'));
      const logger = recordingLogger();
      let calls = 0;
      const starter: ScheduledSyncStarter = {
        isRunning: async () => false,
        start: async () => {
          calls += 1;
          if (calls === 1) throw new Error('secret env:ACME_KEY is not set');
          return { id: 'job-2' };
        },
      };
      const scheduler = new Scheduler(new Map([['acme', every(10_000)]]), { starter, clock, logger });
      scheduler.start();
      await clock.advance(20_000);
      expect(calls).toBe(2);
      expect(logger.lines.filter((line) => !line.includes('schedules armed'))).toEqual(['warn scheduled sync did not start; the next tick is still armed acme', 'info scheduled sync started acme']);
      scheduler.stop();
    });
  });

  describe('when the process was suspended over several ticks', () => {
    it('should run one sync on waking, not one per missed tick', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'));
      const starter = fakeStarter();
      starter.use(clock);
      const scheduler = new Scheduler(new Map([['acme', every(10_000)]]), { starter, clock });
      scheduler.start();
      clock.jump(65_000);
      // Each sync ends at once, so nothing but the scheduler itself could hold back a burst of catch-up ticks.
      starter.isRunning = async () => false;
      await clock.advance(0);
      await clock.advance(4_000);
      expect(starter.started).toEqual([{ provider: 'acme', at: '2026-12-01T10:01:05.000Z' }]);
      expect(scheduler.nextRunAt('acme')?.toISOString()).toBe('2026-12-01T10:01:10.000Z');
      scheduler.stop();
    });
  });

  describe('when several providers are scheduled', () => {
    it('should run each on its own schedule', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'));
      const starter = fakeStarter();
      starter.use(clock);
      const scheduler = new Scheduler(
        new Map([
          ['acme', every(20_000)],
          ['globex', { kind: 'cron', cron: '* * * * *', timezone: 'UTC' }],
        ]),
        { starter, clock },
      );
      scheduler.start();
      await clock.advance(60_000);
      expect(starter.started).toEqual([
        { provider: 'acme', at: '2026-12-01T10:00:20.000Z' },
        { provider: 'globex', at: '2026-12-01T10:01:00.000Z' },
      ]);
      scheduler.stop();
    });
  });

  describe('when stopped', () => {
    it('should clear every timer and start nothing more', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'));
      const starter = fakeStarter();
      starter.use(clock);
      const scheduler = new Scheduler(new Map([['acme', every(10_000)], ['globex', every(60_000)]]), { starter, clock });
      scheduler.start();
      expect(clock.pending).toBe(2);
      expect(scheduler.armedTimers).toBe(2);
      scheduler.stop();
      expect(clock.pending).toBe(0);
      expect(scheduler.armedTimers).toBe(0);
      expect(scheduler.nextRunAt('acme')).toBeUndefined();
      await clock.advance(120_000);
      expect(starter.started).toEqual([]);
    });
  });

  describe('when the next run is further away than a timer can wait', () => {
    it('should wait in steps and tick at the right instant', async () => {
      const clock = new FakeClock(Date.parse('2026-12-01T10:00:00Z'));
      const starter = fakeStarter();
      starter.use(clock);
      // Once a year, on the 1st of February: about 62 days away, beyond a single 24.8-day timer.
      const scheduler = new Scheduler(new Map([['acme', { kind: 'cron', cron: '0 0 1 2 *', timezone: 'UTC' }]]), { starter, clock });
      scheduler.start();
      await clock.advance(40 * 86_400_000);
      expect(starter.started).toEqual([]);
      await clock.advance(30 * 86_400_000);
      expect(starter.started).toEqual([{ provider: 'acme', at: '2027-02-01T00:00:00.000Z' }]);
      scheduler.stop();
    });
  });
});

describe(nextScheduledRun, () => {
  describe('when the cron is read in a time zone', () => {
    it('should follow that zone, across its daylight-saving change', () => {
      const schedule: ScheduleConfig = { kind: 'cron', cron: '0 6 * * *', timezone: 'America/New_York' };
      // 06:00 EST is 11:00 UTC; after the change on 8 March 2026, 06:00 EDT is 10:00 UTC.
      expect(nextScheduledRun(schedule, new Date('2026-03-07T12:00:00Z')).toISOString()).toBe('2026-03-08T10:00:00.000Z');
      expect(nextScheduledRun(schedule, new Date('2026-03-06T12:00:00Z')).toISOString()).toBe('2026-03-07T11:00:00.000Z');
    });

    it('should read weekdays in that zone', () => {
      const schedule: ScheduleConfig = { kind: 'cron', cron: '30 1 * * 1-5', timezone: 'Asia/Tokyo' };
      // Saturday 5 Dec 2026 in UTC; the next weekday 01:30 in Tokyo is Monday 7 Dec, 16:30 UTC on Sunday the 6th.
      expect(nextScheduledRun(schedule, new Date('2026-12-05T00:00:00Z')).toISOString()).toBe('2026-12-06T16:30:00.000Z');
    });
  });

  describe('when the schedule is an interval', () => {
    it('should give the next multiple of it since the epoch, strictly after the given time', () => {
      expect(nextScheduledRun(every(900_000), new Date('2026-12-01T10:07:00Z')).toISOString()).toBe('2026-12-01T10:15:00.000Z');
      expect(nextScheduledRun(every(900_000), new Date('2026-12-01T10:15:00Z')).toISOString()).toBe('2026-12-01T10:30:00.000Z');
    });
  });
});
