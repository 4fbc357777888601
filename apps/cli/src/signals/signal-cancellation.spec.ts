import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignalCancellation } from './signal-cancellation.js';

describe(SignalCancellation, () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('should cancel every registered job on the first signal, and call onSecond on the second', () => {
    const seconds: string[] = [];
    const firsts: string[] = [];
    const cancellation = new SignalCancellation({ deadlineMs: 1000, onFirst: (signal) => firsts.push(signal), onSecond: (signal) => seconds.push(signal) });
    cancellation.install();
    try {
      const cancelled: string[] = [];
      cancellation.onCancel(() => cancelled.push('a'));
      const unregister = cancellation.onCancel(() => cancelled.push('b'));
      unregister();
      process.emit('SIGTERM', 'SIGTERM');
      expect(cancelled).toEqual(['a']);
      expect(firsts).toEqual(['SIGTERM']);
      expect(cancellation.received).toBe('SIGTERM');
      // A job registered after the signal is cancelled at once.
      cancellation.onCancel(() => cancelled.push('late'));
      expect(cancelled).toEqual(['a', 'late']);
      process.emit('SIGINT', 'SIGINT');
      expect(seconds).toEqual(['SIGINT']);
    } finally {
      cancellation.uninstall();
    }
  });

  it('should give up waiting on work once the deadline after the signal passed', async () => {
    vi.useFakeTimers();
    const cancellation = new SignalCancellation({ deadlineMs: 5000, onSecond: () => undefined });
    cancellation.install();
    try {
      const never = cancellation.withinDeadline(new Promise<string>(() => undefined));
      const quick = await cancellation.withinDeadline(Promise.resolve('done'));
      expect(quick).toBe('done');
      process.emit('SIGTERM', 'SIGTERM');
      let settled: unknown = 'pending';
      void never.then((value) => (settled = value));
      await vi.advanceTimersByTimeAsync(4999);
      expect(settled).toBe('pending');
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toBeUndefined();
    } finally {
      cancellation.uninstall();
    }
  });
});
