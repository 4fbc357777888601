import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { OctoError } from '../errors/octo-error.js';
import { TYPES } from '../ports/identifiers.js';
import type { Ledger } from '../ports/ledger.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import type { SyncJob } from '../pipeline/sync-job.js';
import { sourceIdentity } from '../rules/source-path.js';
import type { FileJobData, FileJobResult } from './file-job.js';
import { cancelKey, fileQueueName, QUEUE_PREFIX } from './queue-names.js';

/** How a worker process takes file jobs. */
export interface FileWorkerOptions {
  /** Files at once per provider in this process. */
  readonly concurrency: number;
  /** The providers whose files it takes (default: every configured one). */
  readonly providers?: readonly string[];
  readonly logger?: Logger;
  /**
   * How long a file job's lock lives without renewal: a worker that died (SIGKILL, a lost
   * machine) has its files taken by another worker after about this long. Default 30 s.
   */
  readonly lockDurationMs?: number;
  /** Opens the Redis connections BullMQ needs (each with `maxRetriesPerRequest: null`). */
  readonly connect: () => Redis;
}

/** What {@link FileWorker.close} did with the files in flight. */
export interface WorkerStopResult {
  /** Files that ended within the deadline. */
  readonly finished: number;
  /** Files aborted at the deadline and handed back to the queue for another worker (nothing of them landed). */
  readonly requeued: number;
}

interface InFlight {
  readonly job: Job<FileJobData, FileJobResult>;
  readonly controller: AbortController;
  stopping: boolean;
}

/**
 * `octo worker`: takes file jobs of every provider's queue, any number of processes on any
 * machines with the same config. Each file goes through the same pipeline as an in-process run
 * ({@link SyncJob.processOne}); a file the ledger already holds (a delivery again after a worker
 * died just after its commit) is answered from its record, never landed or recorded twice.
 */
export class FileWorker {
  private readonly workers: Worker<FileJobData, FileJobResult>[] = [];
  private readonly pipelines = new Map<string, Promise<{ syncJob: SyncJob; ledger: Ledger }>>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly logger: Logger;
  private readonly redis: Redis;
  /** The connections handed to BullMQ, which does not close a connection it was given. */
  private readonly connections: Redis[] = [];
  private finishedCount = 0;
  private closing = false;

  constructor(
    private readonly factory: ProviderFactory,
    private readonly options: FileWorkerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.redis = options.connect();
  }

  /** Starts taking file jobs; resolves once every provider's worker is connected. */
  async start(): Promise<void> {
    const providers = this.options.providers ?? this.factory.names();
    for (const provider of providers) {
      this.factory.assertConfigured(provider);
      const worker = new Worker<FileJobData, FileJobResult>(fileQueueName(provider), (job, token) => this.process(job, token), {
        connection: this.connection(),
        prefix: QUEUE_PREFIX,
        concurrency: this.options.concurrency,
        lockDuration: this.options.lockDurationMs ?? 30_000,
        stalledInterval: this.options.lockDurationMs ?? 30_000,
        maxStalledCount: 2,
        autorun: false,
      });
      worker.on('error', (error) => this.logger.warn('file worker: Redis error; reconnecting', { provider, error: error.message }));
      this.workers.push(worker);
    }
    for (const worker of this.workers) void worker.run();
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
    this.logger.info('worker ready', { providers, concurrency: this.options.concurrency });
  }

  /** Files in flight in this process now. */
  get active(): number {
    return this.inFlight.size;
  }

  /**
   * Stops taking jobs, lets the files in flight finish for up to `deadlineMs`, then aborts the
   * rest (their staged outputs are discarded, no ledger record) and hands them back to the
   * queue, so another worker takes them at once instead of after the stall interval.
   */
  async close(deadlineMs: number): Promise<WorkerStopResult> {
    const finishedBefore = this.finishedCount;
    this.closing = true;
    const closing = Promise.all(this.workers.map((worker) => worker.close()));
    const inTime = await Promise.race([closing.then(() => true), delay(deadlineMs).then(() => false)]);
    let requeued = 0;
    if (!inTime) {
      for (const flight of this.inFlight.values()) {
        flight.stopping = true;
        flight.controller.abort(new OctoError('cancelled', 'the worker is shutting down'));
        requeued += 1;
      }
      await closing;
    }
    await Promise.all([...this.pipelines.values()].map(async (pipeline) => (await pipeline.catch(() => undefined))?.syncJob.closeFiles()));
    for (const connection of [...this.connections, this.redis]) await connection.quit().catch(() => connection.disconnect());
    return { finished: this.finishedCount - finishedBefore, requeued };
  }

  private async process(job: Job<FileJobData, FileJobResult>, token: string | undefined): Promise<FileJobResult> {
    const { provider, jobId, file } = job.data;
    // Above 1 when an earlier delivery was lost with its worker (it stalled) and this one took it over.
    const attempt = Math.max(1, job.attemptsStarted ?? 1);
    const retried = attempt > 1 ? { attempt } : {};
    const started = Date.now();
    // Fetched while this worker was stopping (a fetch already under way): another worker takes it.
    if (this.closing) await this.handBack(job, token);
    if (await this.cancelled(jobId)) return { path: file.path, size: file.size, status: 'failed', kind: 'cancelled', reason: `${file.path}: the job was cancelled before the file started; nothing from it was landed`, durationMs: 0, ...retried };
    let pipeline: { syncJob: SyncJob; ledger: Ledger };
    try {
      pipeline = await this.pipelineOf(provider);
    } catch (error) {
      const wrapped = OctoError.wrap('config', error);
      return { path: file.path, size: file.size, status: 'failed', kind: wrapped.kind, reason: wrapped.message, durationMs: Date.now() - started, fatal: true, ...retried };
    }
    if (attempt > 1) {
      const recorded = await this.recorded(pipeline.ledger, provider, file);
      if (recorded) {
        this.logger.info('file job delivered again: the ledger already holds the file', { provider, jobId, path: file.path, attempt });
        return { path: file.path, size: file.size, status: 'done', sha256: recorded.sha256, outputs: recorded.outputs, durationMs: Date.now() - started, ...retried };
      }
    }
    const flight: InFlight = { job, controller: new AbortController(), stopping: false };
    this.inFlight.set(job.id ?? file.path, flight);
    const watch = setInterval(() => void this.cancelled(jobId).then((yes) => (yes ? flight.controller.abort() : undefined)), 1_000);
    watch.unref();
    try {
      const result = await pipeline.syncJob.processOne(file, jobId, { signal: flight.controller.signal }, (event) => {
        if (event.type === 'file.progress') void job.updateProgress({ bytes: event.bytes }).catch(() => undefined);
      }, () => undefined);
      if (flight.stopping && result.status === 'failed') await this.handBack(job, token);
      this.finishedCount += 1;
      return { ...result, ...retried };
    } catch (error) {
      if (error instanceof DelayedError) throw error;
      // processOne throws only a fatal error (bad credentials, a key that cannot load): it stops the whole sync.
      const wrapped = OctoError.wrap('internal', error);
      this.finishedCount += 1;
      return { path: file.path, size: file.size, status: 'failed', kind: wrapped.kind, reason: wrapped.message, durationMs: Date.now() - started, fatal: true, ...retried };
    } finally {
      clearInterval(watch);
      this.inFlight.delete(job.id ?? file.path);
    }
  }

  /**
   * Puts a file job back in the queue for another worker (this one is stopping): due a moment
   * later, so this worker's last fetch cannot take it again.
   */
  private async handBack(job: Job<FileJobData, FileJobResult>, token: string | undefined): Promise<never> {
    await job.moveToDelayed(Date.now() + HAND_BACK_DELAY_MS, token);
    throw new DelayedError();
  }

  private connection(): Redis {
    const connection = this.options.connect();
    this.connections.push(connection);
    return connection;
  }

  /** The provider's pipeline, built and its keys loaded once per process. */
  private pipelineOf(provider: string): Promise<{ syncJob: SyncJob; ledger: Ledger }> {
    let pipeline = this.pipelines.get(provider);
    if (!pipeline) {
      pipeline = (async () => {
        const handle = await this.factory.create(provider);
        const syncJob = handle.syncJob();
        await syncJob.prepareFiles();
        return { syncJob, ledger: handle.container.get<Ledger>(TYPES.Ledger) };
      })();
      // A pipeline that failed (a secret not set yet) is built again for the next file.
      pipeline.catch(() => this.pipelines.delete(provider));
      this.pipelines.set(provider, pipeline);
    }
    return pipeline;
  }

  private async recorded(ledger: Ledger, provider: string, file: FileJobData['file']) {
    const records = await ledger.recordsFor(provider, sourceIdentity(file));
    return records.map(({ record }) => record).find((record) => record.size === file.size && record.mtimeMs === file.mtimeMs);
  }

  private async cancelled(jobId: string): Promise<boolean> {
    return (await this.redis.exists(cancelKey(jobId)).catch(() => 0)) === 1;
  }
}

/** How long a file handed back by a stopping worker waits before another worker may take it. */
const HAND_BACK_DELAY_MS = 1_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
