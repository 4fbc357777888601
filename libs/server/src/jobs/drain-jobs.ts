import type { JobHandle, Logger } from '@octo/core';

/** How long cancelled jobs may take to abort their files at shutdown before the API stops waiting for them. */
export const CANCEL_GRACE_MS = 10_000;

/** What a drain did: jobs that finished in time, jobs it cancelled, and cancelled ones that still had not ended. */
export interface DrainResult {
  readonly finished: number;
  readonly cancelled: number;
  readonly abandoned: number;
}

/**
 * Lets the running jobs finish for up to `deadlineMs`, then cancels what still runs (in-flight
 * files are aborted cleanly) and waits up to {@link CANCEL_GRACE_MS} for them to end.
 */
export async function drainJobs(running: readonly JobHandle[], deadlineMs: number, logger: Logger): Promise<DrainResult> {
  if (running.length === 0) return { finished: 0, cancelled: 0, abandoned: 0 };
  logger.info('waiting for running jobs before shutdown', { jobs: running.map((job) => job.id), deadlineMs });
  const all = Promise.all(running.map((job) => job.done));
  const inTime = await Promise.race([all.then(() => true), delay(deadlineMs).then(() => false)]);
  let cancelled = 0;
  if (!inTime) {
    for (const job of running) {
      if (job.finished) continue;
      cancelled += 1;
      logger.warn('shutdown deadline reached: cancelling job', { jobId: job.id, provider: job.provider });
      job.cancel();
    }
    // A cancelled job still waiting on a server that stopped answering must not hold the shutdown forever.
    await Promise.race([all, delay(CANCEL_GRACE_MS)]);
  }
  const abandoned = running.filter((job) => !job.finished).length;
  if (abandoned > 0) logger.warn('jobs did not end within the cancel grace period: abandoned (their files in flight have no ledger record)', { jobs: abandoned, graceMs: CANCEL_GRACE_MS });
  return { finished: running.length - cancelled, cancelled, abandoned };
}

/** A timer that does not keep the process alive. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
