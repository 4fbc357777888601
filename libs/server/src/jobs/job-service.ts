import { ACTIVE_JOB_STATUSES, JobConflictError, type JobHandle, type JobStatus, type JobStore, type Logger, type OctoRuntime } from '@octo/core';
import { ApiError } from '../http/api-error.js';
import type { JobDetailView, JobSummaryView } from '../http/schemas.js';
import { delay, drainJobs, type DrainResult } from './drain-jobs.js';
import { cancelInAnotherProcess } from './remote-cancel.js';
import { followJob, type JobFollow, type JobFollower } from './follow-job.js';
import { jobDetailView, jobSummaryView } from './job-views.js';

/** Filters and page for {@link JobService.list}. */
export interface JobQuery {
  readonly provider?: string;
  readonly status?: JobStatus;
  readonly limit: number;
  readonly offset: number;
}

/**
 * The API's view of jobs: starts them through the runtime's job runner (which records them in
 * the job store), and reads every job, of this process or any other, from that store: lists,
 * details, event streams. Drains the jobs of this process on shutdown.
 */
export class JobService {
  /** A start in progress per provider, so two concurrent requests cannot both start one. */
  private readonly starting = new Map<string, Promise<unknown>>();
  private draining = false;
  private readonly store: JobStore;

  constructor(
    private readonly runtime: OctoRuntime,
    private readonly logger: Logger,
  ) {
    this.store = runtime.jobStore;
  }

  /** Marks jobs whose process died as `interrupted` (and says so) and prunes history beyond the retention. */
  async init(): Promise<void> {
    for (const report of await this.store.recoverInterrupted()) {
      this.logger.warn('job was interrupted: its process stopped before it ended', { jobId: report.jobId, provider: report.provider });
    }
    await this.store.prune(this.runtime.loaded.config.jobs.retention).catch((error: Error) => this.logger.warn('cannot prune finished jobs', { error: error.message }));
  }

  /** Starts a sync of `provider`; 404 when it is not configured, 409 while it has a job running (in any process). */
  async start(provider: string, options: { dryRun: boolean; concurrency?: number }): Promise<JobDetailView> {
    if (this.draining) throw new ApiError(503, 'the API is shutting down and starts no new jobs');
    this.assertKnown(provider);
    // A start in progress for this provider: wait for it; startNow() then sees its job and answers 409.
    for (let pending = this.starting.get(provider); pending; pending = this.starting.get(provider)) {
      await pending.catch(() => undefined);
    }
    const started = this.startNow(provider, options);
    this.starting.set(provider, started);
    try {
      return await started;
    } finally {
      this.starting.delete(provider);
    }
  }

  private async startNow(provider: string, options: { dryRun: boolean; concurrency?: number }): Promise<JobDetailView> {
    const current = this.runtime.jobs.running(provider);
    if (current) {
      // The runner frees the provider a moment after the job's last event; wait for that, not 409.
      if (current.finished || current.state.report.status !== 'running') await current.done;
      else throw conflict(provider, current.id);
    }
    let handle: JobHandle;
    try {
      handle = await this.runtime.jobs.start(provider, { dryRun: options.dryRun, concurrency: options.concurrency });
    } catch (error) {
      // In this process or another (octo sync, a second API holding the provider's lock).
      if (error instanceof JobConflictError) throw new ApiError(409, error.message, error.runningJobId);
      throw error;
    }
    this.logger.info('job started', { jobId: handle.id, provider, dryRun: handle.dryRun, concurrency: options.concurrency });
    void handle.done.then((summary) =>
      this.logger.info('job finished', {
        jobId: handle.id,
        provider,
        status: summary.status,
        total: summary.total,
        succeeded: summary.succeeded,
        failed: summary.failed,
        durationMs: summary.durationMs,
        ...(summary.error ? { error: summary.error } : {}),
      }),
    );
    return jobDetailView(handle.state.report, handle.state.inFlight);
  }

  /** A job's full view (of any process), or undefined when there is no such job. */
  async get(id: string): Promise<JobDetailView | undefined> {
    const local = this.runtime.jobs.get(id);
    if (local && !local.finished) return jobDetailView(local.state.report, local.state.inFlight);
    const report = await this.store.get(id);
    return report && jobDetailView(report);
  }

  /** Jobs of every process, newest first, filtered and paged. */
  async list(query: JobQuery): Promise<{ items: JobSummaryView[]; total: number }> {
    const matching = (await this.reports()).filter((report) => (!query.provider || report.provider === query.provider) && (!query.status || report.status === query.status));
    return { items: matching.slice(query.offset, query.offset + query.limit).map(jobSummaryView), total: matching.length };
  }

  /** The newest job of a provider. */
  async lastJob(provider: string): Promise<JobSummaryView | undefined> {
    return (await this.list({ provider, limit: 1, offset: 0 })).items[0];
  }

  /** The running job of a provider, in any process, if any. */
  async runningJobId(provider: string): Promise<string | undefined> {
    const local = this.runtime.jobs.running(provider);
    if (local && !local.finished) return local.id;
    return (await this.store.list()).find((report) => report.provider === provider && ACTIVE_JOB_STATUSES.has(report.status))?.jobId;
  }

  /** Follows a job (see {@link followJob}). */
  follow(id: string, afterId: number | undefined, follower: JobFollower): Promise<JobFollow | undefined | 'gone'> {
    return followJob(id, afterId, this.runtime.jobs.get(id), this.store, follower);
  }

  /**
   * Cancels a running job and waits (up to `waitMs`) for it to end: files in flight are
   * aborted and nothing partial becomes visible. 404 for an unknown job, 409 for one that ended;
   * a job of another process is cancelled through {@link cancelInAnotherProcess}.
   */
  async cancel(id: string, waitMs = 10_000): Promise<{ job: JobDetailView; ended: boolean }> {
    const local = this.runtime.jobs.get(id);
    if (!local || local.finished) return cancelInAnotherProcess(id, this.runtime.jobs, this.store, waitMs);
    this.logger.info('job cancel requested', { jobId: id, provider: local.provider });
    local.cancel();
    const ended = await Promise.race([local.done.then(() => true), delay(waitMs).then(() => false)]);
    return { job: jobDetailView(local.state.report, local.state.inFlight), ended };
  }

  /** Stops starting jobs and drains this process's running ones (see {@link drainJobs}). */
  async drain(deadlineMs: number): Promise<DrainResult> {
    this.draining = true;
    return drainJobs(
      this.runtime.jobs.list().filter((job) => !job.finished),
      deadlineMs,
      this.logger,
    );
  }

  /** Every job's report, newest first; this process's running jobs as they are now. */
  private async reports() {
    const stored = await this.store.list();
    return stored.map((report) => {
      const local = this.runtime.jobs.get(report.jobId);
      return local && !local.finished ? local.state.report : report;
    });
  }

  private assertKnown(provider: string): void {
    if (!this.runtime.providers.names().includes(provider)) {
      throw new ApiError(404, `unknown provider "${provider}": the configured providers are ${this.runtime.providers.names().join(', ') || '(none)'}`);
    }
  }
}

function conflict(provider: string, jobId: string | undefined): ApiError {
  return new ApiError(409, `provider ${provider} already has job ${jobId ?? '(unknown)'} running: one sync per provider at a time`, jobId);
}
