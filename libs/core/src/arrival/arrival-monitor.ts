import type { JobNotifier } from '../notify/job-notifier.js';
import type { Ledger } from '../ports/ledger.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { JobSummary } from '../ports/job-events.js';
import { systemClock, type SchedulerClock } from '../jobs/scheduler.js';
import { arrivalStatus, type ArrivalStatus } from './arrival-status.js';
import { arrivalWindow } from './arrival-window.js';
import type { ArrivalExpectation } from './expectation-config-schema.js';

/** Where a late alert is claimed, once per provider and deadline, in the provider's bucket. */
export const ARRIVAL_PREFIX = '_octo/arrival/';

/** What {@link ArrivalMonitor} reads and tells: a provider's ledger and bucket, the webhooks. */
export interface ArrivalMonitorDeps {
  readonly open: (provider: string) => Promise<{ readonly ledger: Ledger; readonly store: ObjectStore }>;
  readonly notifier: Pick<JobNotifier, 'providerLate' | 'track'>;
  readonly logger?: Logger;
  readonly clock?: SchedulerClock;
}

// setTimeout fires at once for delays above 2^31-1 ms; longer waits re-arm.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Watches the providers that have an `expect:`: judges from the ledger whether something new
 * arrived by each deadline (see {@link arrivalStatus}) and, when not, sends one `provider.late`
 * alert per provider and deadline, however many processes judge it (the first to claim
 * `_octo/arrival/<provider>/late-<deadline>.json` in the bucket sends). `octo serve` arms a
 * timer per deadline ({@link start}); `octo sync` judges at the end of each run ({@link afterJob}).
 */
export class ArrivalMonitor {
  private readonly statuses = new Map<string, ArrivalStatus>();
  private readonly timers = new Map<string, unknown>();
  private readonly clock: SchedulerClock;
  private readonly logger: Logger;
  private running = false;

  constructor(
    private readonly expectations: ReadonlyMap<string, ArrivalExpectation>,
    private readonly deps: ArrivalMonitorDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
  }

  /** Whether `provider` has an expectation. */
  watches(provider: string): boolean {
    return this.expectations.has(provider);
  }

  /**
   * Judges `provider` now, alerting once if it is late; the status is kept for {@link status}.
   * Never throws for a bucket that cannot be read: that is logged, and the last status kept.
   */
  async check(provider: string): Promise<ArrivalStatus | undefined> {
    const expectation = this.expectations.get(provider);
    if (!expectation) return undefined;
    try {
      const { ledger, store } = await this.deps.open(provider);
      const status = await arrivalStatus(ledger, provider, expectation, this.clock.now());
      this.statuses.set(provider, status);
      if (status.late && status.since) await this.alertOnce(store, status);
      return status;
    } catch (error) {
      this.logger.warn(`cannot judge whether ${provider}'s files arrived: ${(error as Error).message}; judged again at the next check`, { provider });
      return this.statuses.get(provider);
    }
  }

  /** The status judged at most `maxAgeMs` ago, judging again when older (the API's `late` field). */
  async status(provider: string, maxAgeMs = 30_000): Promise<ArrivalStatus | undefined> {
    if (!this.expectations.has(provider)) return undefined;
    const known = this.statuses.get(provider);
    if (known && this.clock.now().getTime() - Date.parse(known.checkedAt) <= maxAgeMs) return known;
    return this.check(provider);
  }

  /** The statuses judged so far (the metrics' gauges), by provider. */
  known(): ReadonlyMap<string, ArrivalStatus> {
    return this.statuses;
  }

  /** After a run of a watched provider (not a dry run): judge it, counted among what `notifier.settled()` waits for. */
  afterJob(summary: JobSummary): Promise<unknown> {
    if (summary.dryRun || !this.expectations.has(summary.provider)) return Promise.resolve();
    return this.deps.notifier.track(this.check(summary.provider));
  }

  /** Judges every watched provider once (a deadline missed while nothing ran), then at each deadline. */
  start(): void {
    if (this.running) return;
    this.running = true;
    for (const provider of this.expectations.keys()) {
      void this.check(provider);
      this.arm(provider);
    }
  }

  /** Clears every timer. */
  stop(): void {
    this.running = false;
    for (const timer of this.timers.values()) this.clock.clearTimeout(timer);
    this.timers.clear();
  }

  /** Timers armed now: one per watched provider while running. */
  get armedTimers(): number {
    return this.timers.size;
  }

  private arm(provider: string): void {
    const expectation = this.expectations.get(provider);
    const next = expectation && arrivalWindow(expectation, this.clock.now())?.nextDeadline;
    if (!next) return;
    const wait = () => {
      const ms = next.getTime() - this.clock.now().getTime();
      this.timers.set(
        provider,
        this.clock.setTimeout(() => {
          if (!this.running) return;
          if (this.clock.now().getTime() < next.getTime()) return wait();
          this.arm(provider);
          void this.check(provider);
        }, Math.min(Math.max(ms, 0), MAX_TIMER_MS)),
      );
    };
    wait();
  }

  private async alertOnce(store: ObjectStore, status: ArrivalStatus): Promise<void> {
    const key = `${ARRIVAL_PREFIX}${status.provider}/late-${status.since}.json`;
    const body = `${JSON.stringify({ provider: status.provider, since: status.since, expectation: status.expectation, alertedAt: status.checkedAt }, null, 2)}\n`;
    if (!(await store.putSmallIfAbsent(key, body, { 'content-type': 'application/json' }))) return;
    this.logger.warn(`${status.provider} is late: nothing new was ingested since ${status.windowOpenedAt}, expected ${status.expectation}`, { provider: status.provider, since: status.since });
    await this.deps.notifier.providerLate(status);
  }
}
