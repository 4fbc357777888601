import type { SchedulerClock } from '../jobs/scheduler.js';

/** A clock that moves only when told, firing the timers that come due (schedules, arrival deadlines). */
export class FakeClock implements SchedulerClock {
  private timers: Array<{ at: number; callback: () => void }> = [];

  constructor(private time: number) {}

  now = (): Date => new Date(this.time);

  setTimeout = (callback: () => void, ms: number): unknown => {
    const timer = { at: this.time + ms, callback };
    this.timers.push(timer);
    return timer;
  };

  clearTimeout = (timer: unknown): void => {
    this.timers = this.timers.filter((t) => t !== timer);
  };

  /** Moves to `iso` and fires every timer due by then. */
  advanceTo(iso: string): void {
    this.time = Date.parse(iso);
    for (const timer of this.timers.filter((t) => t.at <= this.time)) {
      this.clearTimeout(timer);
      timer.callback();
    }
  }
}
