import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { LoadedConfig } from '../config/load-config.js';
import { OctoError } from '../errors/octo-error.js';
import { InProcessJobRunner, type InProcessJobRunnerOptions, type SyncRun } from '../jobs/in-process-job-runner.js';
import { ACTIVE_JOB_STATUSES } from '../jobs/job-report.js';
import type { JobSummary } from '../ports/job-events.js';
import type { SyncJob } from '../pipeline/sync-job.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import { runDistributedSync } from './distributed-sync.js';
import type { FileJobData, FileJobResult } from './file-job.js';
import { cancelKey, fileQueueName, QUEUE_PREFIX } from './queue-names.js';
import { RedisProviderLock } from './redis-provider-lock.js';

/** A provider's file queue and the events of its jobs, opened at its first sync. */
interface ProviderQueue {
  readonly queue: Queue<FileJobData, FileJobResult>;
  readonly events: QueueEvents;
  /** The events' own connection (BullMQ never closes a connection it was given). */
  readonly eventsConnection: Redis;
}

/**
 * Distributed mode's job runner (`queue: redis://…` or `OCTO_REDIS_URL`): a sync started here
 * (by `octo sync`, the API or a schedule) holds its provider through a lock in Redis, so one
 * sync per provider runs at a time across every machine, discovers its files here, and fans out
 * one file job per file to `octo worker` processes (see {@link runDistributedSync}). Its events
 * and report go to the job store as an in-process job's do, so every process sees it. Dry runs
 * stay in this process: they write nothing.
 */
export class BullmqJobRunner extends InProcessJobRunner {
  private readonly queues = new Map<string, Promise<ProviderQueue>>();

  private constructor(
    factory: ProviderFactory,
    private readonly config: LoadedConfig,
    private readonly runnerOptions: InProcessJobRunnerOptions,
    private readonly redis: Redis,
    private readonly url: string,
    hooks: { execute?: (syncJob: SyncJob, run: SyncRun) => Promise<JobSummary> } = {},
  ) {
    super(factory, config, {
      ...runnerOptions,
      lock: (provider, jobId) => RedisProviderLock.acquire(redis, provider, jobId),
      execute: (syncJob, run) => (hooks.execute as (syncJob: SyncJob, run: SyncRun) => Promise<JobSummary>)(syncJob, run),
    });
    hooks.execute = (syncJob, run) => this.execute(syncJob, run);
  }

  /** Connects to the Redis at `url`; fails as a config error when it cannot be reached. */
  static async connect(factory: ProviderFactory, loaded: LoadedConfig, url: string, options: InProcessJobRunnerOptions): Promise<BullmqJobRunner> {
    // A probe that does not retry: BullMQ's own connections wait through outages, so they would wait forever here.
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 10_000 });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
    } catch (error) {
      throw new OctoError('config', `cannot reach Redis for the job queue (queue / OCTO_REDIS_URL): ${(error as Error).message}; check that it runs and that the URL is right`, { cause: error, fatal: true });
    } finally {
      probe.disconnect();
    }
    return new BullmqJobRunner(factory, loaded, options, bullmqConnection(url), url);
  }

  /**
   * Sets the job's cancel flag, which the process running it checks every second (it then
   * cancels as a local cancel does: queued files are taken back, workers abort the others).
   */
  async cancelElsewhere(id: string): Promise<boolean> {
    const report = await this.runnerOptions.store.get(id);
    if (!report || !ACTIVE_JOB_STATUSES.has(report.status)) return false;
    await this.redis.set(cancelKey(id), '1', 'EX', 24 * 3600);
    return true;
  }

  async close(): Promise<void> {
    for (const opened of this.queues.values()) {
      const provider = await opened.catch(() => undefined);
      await provider?.events.close().catch(() => undefined);
      await provider?.queue.close().catch(() => undefined);
      await provider?.eventsConnection.quit().catch(() => provider.eventsConnection.disconnect());
    }
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async execute(syncJob: SyncJob, run: SyncRun): Promise<JobSummary> {
    const startedAt = new Date().toISOString();
    try {
      const { queue, events } = await this.queueOf(run.provider);
      const providerConfig = this.config.config.providers[run.provider];
      const concurrency = run.concurrency ?? providerConfig?.concurrency ?? this.config.config.concurrency;
      return await runDistributedSync(syncJob, { ...run, concurrency }, { queue, events, redis: this.redis, logger: this.runnerOptions.logger });
    } catch (error) {
      const wrapped = OctoError.wrap('store', error);
      const finishedAt = new Date().toISOString();
      return {
        jobId: run.jobId,
        provider: run.provider,
        status: 'failed',
        dryRun: false,
        total: 0,
        succeeded: 0,
        failed: 0,
        bytesIn: 0,
        bytesOut: 0,
        startedAt,
        finishedAt,
        durationMs: Date.parse(finishedAt) - Date.parse(startedAt),
        files: [],
        error: { kind: wrapped.kind, reason: wrapped.message },
      };
    }
  }

  private queueOf(provider: string): Promise<ProviderQueue> {
    let opened = this.queues.get(provider);
    if (!opened) {
      opened = (async () => {
        const queue = new Queue<FileJobData, FileJobResult>(fileQueueName(provider), { connection: this.redis, prefix: QUEUE_PREFIX });
        const eventsConnection = bullmqConnection(this.url);
        const events = new QueueEvents(fileQueueName(provider), { connection: eventsConnection, prefix: QUEUE_PREFIX });
        await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
        return { queue, events, eventsConnection };
      })();
      opened.catch(() => this.queues.delete(provider));
      this.queues.set(provider, opened);
    }
    return opened;
  }
}

/** A Redis connection as BullMQ needs it: commands wait through a reconnect instead of failing after a few retries. */
export function bullmqConnection(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  // ioredis reconnects by itself; the job store and the workers say once that Redis is away.
  redis.on('error', () => undefined);
  return redis;
}
