import { silentLogger, type Logger } from '../ports/logger.js';
import { JobConflictError } from './job-conflict-error.js';
import { nextScheduledRun } from './next-scheduled-run.js';
import type { ScheduleConfig } from './schedule-config-schema.js';

/** Time as the scheduler sees it; tests pass a fake one. */
export interface SchedulerClock {
  now(): Date;
  /** Calls `callback` after `ms`; the timer must not keep the process alive. */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

/** The real clock; its timers are unref'd, so a scheduler alone never keeps the process running. */
export const systemClock: SchedulerClock = {
  now: () => new Date(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** How the scheduler starts a sync: the same path as an API request, so the job is recorded and seen like any other. */
export interface ScheduledSyncStarter {
  /** Whether `provider` has a sync running (in any process). */
  isRunning(provider: string): Promise<boolean>;
  /** Starts a sync of `provider`; a {@link JobConflictError} means it was already syncing. */
  start(provider: string): Promise<{ readonly id: string }>;
}

/** What {@link Scheduler} needs besides the schedules. */
export interface SchedulerOptions {
  readonly starter: ScheduledSyncStarter;
  readonly clock?: SchedulerClock;
  readonly logger?: Logger;
}

// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); longer waits re-arm.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs provider schedules in this process (embedded mode): at each tick it starts a sync of
 * that provider, unless one is still running, in which case the tick is skipped and logged
 * (never queued). A tick that fails to start is logged and the next one is still armed.
 * {@link Scheduler.stop} clears every timer.
 */
export class Scheduler {
  private readonly timers = new Map<string, unknown>();
  private readonly next = new Map<string, Date>();
  private readonly clock: SchedulerClock;
  private readonly logger: Logger;
  private running = false;

  constructor(
    private readonly schedules: ReadonlyMap<string, ScheduleConfig>,
    private readonly options: SchedulerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** Arms a timer per scheduled provider. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const provider of this.schedules.keys()) this.arm(provider);
    if (this.schedules.size > 0) this.logger.info('schedules armed', { providers: [...this.schedules.keys()], nextRuns: Object.fromEntries([...this.next].map(([name, at]) => [name, at.toISOString()])) });
  }

  /** Clears every timer; ticks already under way finish starting their job. */
  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
    this.next.clear();
  }

  /** When the scheduler will next tick for `provider`, while it runs. */
  nextRunAt(provider: string): Date | undefined {
    return this.next.get(provider);
  }

  /** Timers currently armed (one per scheduled provider while running, none once stopped). */
  get armedTimers(): number {
    return this.timers.size;
  }

  private arm(provider: string, after = this.clock.now()): void {
    const schedule = this.schedules.get(provider);
    if (!schedule) return;
    const at = nextScheduledRun(schedule, after);
    this.next.set(provider, at);
    this.wait(provider, at);
  }

  private wait(provider: string, at: Date): void {
    const ms = at.getTime() - this.clock.now().getTime();
    this.timers.set(
      provider,
      this.clock.setTimeout(() => {
        if (!this.running) return;
        if (this.clock.now().getTime() < at.getTime()) return this.wait(provider, at);
        // Armed from now, not from `at`: ticks missed while the process was suspended are dropped, not caught up in a burst.
        this.arm(provider);
        void this.tick(provider, at);
      }, Math.min(Math.max(ms, 0), MAX_TIMER_MS)),
    );
  }

  private async tick(provider: string, at: Date): Promise<void> {
    const fields = { provider, scheduledAt: at.toISOString() };
    try {
      if (await this.options.starter.isRunning(provider)) {
        this.logger.info('scheduled sync skipped: the provider is still syncing', fields);
        return;
      }
      const job = await this.options.starter.start(provider);
      this.logger.info('scheduled sync started', { ...fields, jobId: job.id });
    } catch (error) {
      if (error instanceof JobConflictError) {
        this.logger.info('scheduled sync skipped: the provider is still syncing', { ...fields, runningJobId: error.runningJobId });
        return;
      }
      this.logger.warn('scheduled sync did not start; the next tick is still armed', { ...fields, error: (error as Error).message });
    }
  }
}
