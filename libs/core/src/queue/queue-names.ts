/** Every BullMQ key Octo writes starts with this (BullMQ's own `prefix`), apart from the job store's. */
export const QUEUE_PREFIX = 'octo:bull';

/**
 * The file jobs of one provider, one queue each: the queue's global concurrency is the
 * provider's cap on files at once across every worker (partners cap SFTP sessions).
 */
export function fileQueueName(provider: string): string {
  return `files-${provider}`;
}

/** The queue whose job schedulers start every provider's scheduled syncs, one job per tick. */
export const SCHEDULE_QUEUE = 'schedules';

/** The Redis key that tells every process a job is cancelled (set by whoever cancels it). */
export function cancelKey(jobId: string): string {
  return `octo:cancel:${jobId}`;
}

/** The Redis key of a provider's lock: one sync per provider at a time, across machines. */
export function providerLockKey(provider: string): string {
  return `octo:lock:${provider}`;
}
