import { randomUUID } from 'node:crypto';
import { resolvePath, type LoadedConfig } from '../config/load-config.js';
import type { JobEvent, JobSummary } from '../ports/job-events.js';
import type { SyncJob } from '../pipeline/sync-job.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import { JobConflictError } from './job-conflict-error.js';
import { currentJobOwner } from './job-liveness.js';
import { JobRecorder } from './job-recorder.js';
import { startedJobReport } from './job-report.js';
import type { JobHandle, JobRunner, StartJobOptions } from './job-runner.js';
import type { JobRetention, JobStore } from './job-store.js';
import { ProviderLock } from './provider-lock.js';
import { RunningJob } from './running-job.js';

/** What {@link InProcessJobRunner} records to and how long it keeps finished jobs. */
export interface InProcessJobRunnerOptions {
  readonly store: JobStore;
  readonly retention: JobRetention;
  readonly logger?: Logger;
  /** Sees every job event of this process. */
  readonly onEvent?: (event: JobEvent, job: JobHandle) => void;
  /** Finished jobs kept in memory (with their events); the job store keeps the rest. */
  readonly maxFinishedJobs?: number;
  /** How a run (not a dry run) holds its provider; default: the work directory's lock file ({@link ProviderLock}). */
  readonly lock?: (provider: string, jobId: string) => Promise<{ release(): Promise<void> }>;
  /** How a run (not a dry run) processes its files; default: here, {@link SyncJob.run}. Distributed mode queues them for workers. */
  readonly execute?: (syncJob: SyncJob, run: SyncRun) => Promise<JobSummary>;
}

/** One run as the runner hands it to {@link InProcessJobRunnerOptions.execute}. */
export interface SyncRun {
  readonly provider: string;
  readonly jobId: string;
  readonly concurrency?: number;
  readonly signal: AbortSignal;
  readonly onEvent: (event: JobEvent) => void;
}

/**
 * Runs jobs in this process (the embedded default), one per provider at a time across
 * processes (a lock in the work directory), and records each in the job store as it runs, so
 * the API and every other process see it. Finished jobs beyond the retention are pruned.
 */
export class InProcessJobRunner implements JobRunner {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly byProvider = new Map<string, RunningJob>();
  private readonly logger: Logger;

  constructor(
    private readonly factory: ProviderFactory,
    private readonly loaded: LoadedConfig,
    private readonly options: InProcessJobRunnerOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  async start(provider: string, options: StartJobOptions = {}): Promise<JobHandle> {
    const current = this.byProvider.get(provider);
    if (current) throw new JobConflictError(provider, current.id);
    const handle = await this.factory.create(provider);
    const id = randomUUID();
    const workDir = resolvePath(this.loaded.baseDir, this.loaded.config.workDir);
    const lock = options.dryRun ? undefined : await (this.options.lock?.(provider, id) ?? ProviderLock.acquire(workDir, provider, id));
    const dryRun = options.dryRun ?? false;
    const job = new RunningJob(id, provider, dryRun, startedJobReport({ id, provider, dryRun }, currentJobOwner(), options.concurrency));
    const recorder = new JobRecorder(this.options.store, job.state, this.logger);
    job.subscribe((event, eventId) => {
      recorder.record(event, eventId);
      this.options.onEvent?.(event, job);
    });
    this.jobs.set(id, job);
    this.byProvider.set(provider, job);
    await recorder.start();
    const execute = this.options.execute;
    const summary =
      execute && !dryRun
        ? execute(handle.syncJob(), { provider, jobId: id, concurrency: options.concurrency, signal: job.signal, onEvent: job.emit })
        : handle.syncJob().run({ jobId: id, dryRun, concurrency: options.concurrency, signal: job.signal, onEvent: job.emit });
    job.run(summary, async () => {
      await recorder.finish();
      if (this.byProvider.get(provider) === job) this.byProvider.delete(provider);
      await lock?.release();
      this.forgetOldJobs();
      await this.prune();
    });
    return job;
  }

  get(id: string): JobHandle | undefined {
    return this.jobs.get(id);
  }

  running(provider: string): JobHandle | undefined {
    return this.byProvider.get(provider);
  }

  list(): JobHandle[] {
    return [...this.jobs.values()];
  }

  /** Keeps the newest finished jobs in memory only, so a long-running process does not grow; the job store keeps the rest. */
  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((job) => job.finished);
    for (const job of finished.slice(0, Math.max(0, finished.length - (this.options.maxFinishedJobs ?? 100)))) this.jobs.delete(job.id);
  }

  private async prune(): Promise<void> {
    try {
      const removed = await this.options.store.prune(this.options.retention);
      if (removed.length > 0) this.logger.info('removed finished jobs beyond the retention', { jobs: removed.length, ...this.options.retention });
    } catch (error) {
      this.logger.warn('cannot prune finished jobs', { error: (error as Error).message });
    }
  }
}
