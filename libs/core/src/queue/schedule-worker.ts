import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobConflictError } from '../jobs/job-conflict-error.js';
import type { JobHandle, JobRunner } from '../jobs/job-runner.js';
import type { ScheduleConfig } from '../jobs/schedule-config-schema.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import { syncJobSchedulers, type JobSchedulerChanges, type ScheduledSyncData } from './job-schedulers.js';
import { QUEUE_PREFIX, SCHEDULE_QUEUE } from './queue-names.js';

/** What a tick's job answers: the sync it started, or why none did. */
export type ScheduledSyncResult = { readonly jobId: string } | { readonly skipped: string };

/** How `octo worker` runs the schedules of distributed mode. */
export interface ScheduleWorkerOptions {
  /** The config's schedules: upserted at start, the others removed. */
  readonly schedules: ReadonlyMap<string, ScheduleConfig>;
  /** Starts syncs as `octo sync` does in distributed mode (the runtime's BullMQ job runner). */
  readonly jobs: JobRunner;
  /** Opens the Redis connections BullMQ needs (each with `maxRetriesPerRequest: null`). */
  readonly connect: () => Redis;
  readonly logger?: Logger;
}

/**
 * Distributed mode's schedules: BullMQ job schedulers (one per scheduled provider, shared by
 * every process through Redis) put one job per tick on the schedule queue, and exactly one
 * worker takes it and starts that provider's sync here, through the same runner as `octo sync`.
 * A provider still syncing (its Redis lock is held) has its tick skipped and logged.
 */
export class ScheduleWorker {
  private worker: Worker<ScheduledSyncData, ScheduledSyncResult> | undefined;
  private readonly connections: Redis[] = [];
  private readonly started = new Set<JobHandle>();
  private readonly logger: Logger;

  constructor(private readonly options: ScheduleWorkerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Upserts the config's job schedulers, removes stale ones, and starts taking ticks. */
  async start(): Promise<JobSchedulerChanges> {
    const changes = await publishJobSchedulers(this.options.schedules, this.connection());
    this.worker = new Worker<ScheduledSyncData, ScheduledSyncResult>(SCHEDULE_QUEUE, (job) => this.tick(job), {
      connection: this.connection(),
      prefix: QUEUE_PREFIX,
      // Ticks only start syncs; several providers may tick at once.
      concurrency: 8,
      autorun: false,
    });
    this.worker.on('error', (error) => this.logger.warn('the schedule worker lost Redis; reconnecting', { error: error.message }));
    void this.worker.run();
    await this.worker.waitUntilReady();
    if (changes.upserted.length > 0 || changes.removed.length > 0) this.logger.info('job schedulers in Redis', { ...changes });
    return changes;
  }

  /** Takes no more ticks; then waits up to `deadlineMs` for the syncs it started, and cancels those still running. */
  async close(deadlineMs: number): Promise<void> {
    await this.worker?.close();
    const running = [...this.started].filter((job) => !job.finished);
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
    await Promise.race([Promise.all(running.map((job) => job.done)), deadline]);
    for (const job of running) if (!job.finished) job.cancel();
    await Promise.all(running.map((job) => job.done));
    for (const connection of this.connections) await connection.quit().catch(() => connection.disconnect());
  }

  private async tick(job: Job<ScheduledSyncData, ScheduledSyncResult>): Promise<ScheduledSyncResult> {
    const { provider } = job.data;
    const fields = { provider, scheduledAt: new Date(job.timestamp + (job.opts.delay ?? 0)).toISOString() };
    try {
      const sync = await this.options.jobs.start(provider);
      this.started.add(sync);
      void sync.done.then(() => this.started.delete(sync));
      this.logger.info('scheduled sync started', { ...fields, jobId: sync.id });
      return { jobId: sync.id };
    } catch (error) {
      if (!(error instanceof JobConflictError)) {
        this.logger.warn('scheduled sync did not start; the next tick still comes', { ...fields, error: (error as Error).message });
        return { skipped: (error as Error).message };
      }
      this.logger.info('scheduled sync skipped: the provider is still syncing', { ...fields, runningJobId: error.runningJobId });
      return { skipped: error.message };
    }
  }

  private connection(): Redis {
    const connection = this.options.connect();
    this.connections.push(connection);
    return connection;
  }
}

/**
 * Upserts the job schedulers of `schedules` into the schedule queue over `connection` and
 * removes those no longer configured (what `octo serve` does at start in distributed mode).
 */
export async function publishJobSchedulers(schedules: ReadonlyMap<string, ScheduleConfig>, connection: Redis): Promise<JobSchedulerChanges> {
  const queue = new Queue<ScheduledSyncData>(SCHEDULE_QUEUE, { connection, prefix: QUEUE_PREFIX });
  try {
    return await syncJobSchedulers(queue, schedules);
  } finally {
    await queue.close();
  }
}
