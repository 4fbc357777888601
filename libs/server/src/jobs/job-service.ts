import {
  ACTIVE_JOB_STATUSES,
  currentJobOwner,
  finalJobReport,
  JobConflictError,
  newestJobReportFirst,
  startedJobReport,
  type JobEvent,
  type JobHandle,
  type JobReport,
  type JobReportStore,
  type JobStatus,
  type Logger,
  type OctoRuntime,
  type ReportedFileResult,
} from '@octo/core';
import { ApiError } from '../http/api-error.js';
import type { JobDetailView, JobSummaryView } from '../http/schemas.js';
import type { OctoMetrics } from '../metrics/octo-metrics.js';

/** Receives a job's events as the API forwards them; `job.finished` comes once the report is saved. */
export type JobWatcher = (event: JobEvent) => void;

interface TrackedJob {
  report: JobReport;
  readonly handle?: JobHandle;
  readonly inFlight: Map<string, { size: number; bytes: number }>;
  readonly watchers: Set<JobWatcher>;
  /** True once `job.finished` was delivered: the provider is free and the report is final. */
  ended: boolean;
  /** Resolves when the job ended and its final report is written. */
  settled: Promise<void>;
  /** Writes of this job's report, one after the other. */
  writes: Promise<void>;
  lastWrite: number;
  writeTimer?: NodeJS.Timeout;
  /** The file results were dropped from memory (an old finished job); they are read from the report. */
  detailOnDisk?: boolean;
}

/** Filters and page for {@link JobService.list}. */
export interface JobQuery {
  readonly provider?: string;
  readonly status?: JobStatus;
  readonly limit: number;
  readonly offset: number;
}

/** How often, at most, a running job's report is rewritten as files end. */
const REPORT_WRITE_INTERVAL_MS = 1000;

/** Finished jobs whose per-file results stay in memory; older ones are read back from their reports. */
const DETAILED_JOBS_IN_MEMORY = 100;

/**
 * The API's view of jobs: starts them through the runtime's job runner, keeps each one's
 * report current from its events (in memory and in the work directory), forwards events to
 * watchers (SSE), and drains running jobs on shutdown.
 */
export class JobService {
  private readonly jobs = new Map<string, TrackedJob>();
  /** A start in progress per provider, so two concurrent requests cannot both start one. */
  private readonly starting = new Map<string, Promise<unknown>>();
  private draining = false;

  constructor(
    private readonly runtime: OctoRuntime,
    private readonly store: JobReportStore & { recoverInterrupted?(): Promise<JobReport[]> },
    private readonly metrics: OctoMetrics,
    private readonly logger: Logger,
  ) {}

  /** Loads job history from the reports; jobs whose process died are marked `interrupted`. */
  async init(): Promise<void> {
    const interrupted = (await this.store.recoverInterrupted?.()) ?? [];
    for (const report of interrupted) {
      this.logger.warn('job was interrupted: its process stopped before it ended', { jobId: report.jobId, provider: report.provider });
    }
    for (const report of await this.store.list()) {
      if (this.jobs.has(report.jobId)) continue;
      this.jobs.set(report.jobId, trackedJob(report));
    }
    this.trimMemory();
  }

  /** Starts a sync of `provider`; 404 when it is not configured, 409 while it has a job running. */
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
      const tracked = this.jobs.get(current.id);
      // The runner frees the provider a moment after the job's last event; wait for that, not 409.
      if (tracked?.ended || current.finished) await current.done;
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
    const tracked = trackedJob(startedJobReport(handle, currentJobOwner(), options.concurrency), handle);
    this.jobs.set(handle.id, tracked);
    this.metrics.jobStarted(provider);
    this.logger.info('job started', { jobId: handle.id, provider, dryRun: handle.dryRun, concurrency: options.concurrency });
    // Replay what already happened, then follow: both in this same tick, so nothing is missed.
    for (const event of handle.events) this.apply(tracked, event);
    handle.subscribe((event) => this.apply(tracked, event));
    tracked.settled = this.settle(tracked, handle);
    await this.persist(tracked);
    return this.detail(tracked);
  }

  /** A job's full view, or undefined when there is no such job. */
  async get(id: string): Promise<JobDetailView | undefined> {
    const tracked = this.jobs.get(id);
    return tracked ? this.fullDetail(tracked) : undefined;
  }

  /** Jobs newest first, filtered and paged. */
  list(query: JobQuery): { items: JobSummaryView[]; total: number } {
    const matching = [...this.jobs.values()]
      .filter((job) => (!query.provider || job.report.provider === query.provider) && (!query.status || job.report.status === query.status))
      .sort((a, b) => newestJobReportFirst(a.report, b.report));
    return { items: matching.slice(query.offset, query.offset + query.limit).map((job) => this.summary(job)), total: matching.length };
  }

  /** The newest job of a provider. */
  lastJob(provider: string): JobSummaryView | undefined {
    return this.list({ provider, limit: 1, offset: 0 }).items[0];
  }

  /** The running job of a provider, if any. */
  runningJobId(provider: string): string | undefined {
    for (const job of this.jobs.values()) if (job.report.provider === provider && !job.ended) return job.report.jobId;
    return undefined;
  }

  /**
   * Follows a job: returns its current state and calls `watcher` for every later event.
   * When the job has ended, `ended` is true and no events will follow.
   */
  async watch(id: string, watcher: JobWatcher): Promise<{ state: JobDetailView; ended: boolean; unsubscribe: () => void } | undefined> {
    const tracked = this.jobs.get(id);
    if (!tracked) return undefined;
    // A job of another process (same work directory) sends no events here: its state is all there is.
    if (tracked.ended || !tracked.handle) return { state: await this.fullDetail(tracked), ended: true, unsubscribe: () => undefined };
    // Snapshot and subscription in one tick, so no event falls between them.
    const state = this.detail(tracked);
    tracked.watchers.add(watcher);
    return { state, ended: false, unsubscribe: () => tracked.watchers.delete(watcher) };
  }

  /**
   * Cancels a running job and waits (up to `waitMs`) for it to end: files in flight are
   * aborted and nothing partial becomes visible. 404 for an unknown job, 409 for one that ended.
   */
  async cancel(id: string, waitMs = 10_000): Promise<{ job: JobDetailView; ended: boolean }> {
    const tracked = this.jobs.get(id);
    if (!tracked) throw new ApiError(404, `no job ${id}`);
    if (tracked.ended) throw new ApiError(409, `job ${id} is not running (it is ${tracked.report.status})`, id);
    if (!tracked.handle) {
      const owner = tracked.report.owner;
      throw new ApiError(409, `job ${id} runs in another process (pid ${owner.pid} on ${owner.host}); cancel it there`, id);
    }
    this.logger.info('job cancel requested', { jobId: id, provider: tracked.report.provider });
    tracked.handle.cancel();
    const ended = await Promise.race([tracked.settled.then(() => true), delay(waitMs).then(() => false)]);
    return { job: this.detail(tracked), ended };
  }

  /**
   * Stops starting jobs, lets running ones finish for up to `deadlineMs`, then cancels what
   * is still running (in-flight files are aborted cleanly) and waits for their reports.
   */
  async drain(deadlineMs: number): Promise<{ finished: number; cancelled: number; abandoned: number }> {
    this.draining = true;
    const running = [...this.jobs.values()].filter((job) => !job.ended && job.handle);
    if (running.length === 0) return { finished: 0, cancelled: 0, abandoned: 0 };
    this.logger.info('waiting for running jobs before shutdown', { jobs: running.map((job) => job.report.jobId), deadlineMs });
    const all = Promise.all(running.map((job) => job.settled));
    const inTime = await Promise.race([all.then(() => true), delay(deadlineMs).then(() => false)]);
    let cancelled = 0;
    if (!inTime) {
      for (const job of running) {
        if (job.ended || !job.handle) continue;
        cancelled += 1;
        this.logger.warn('shutdown deadline reached: cancelling job', { jobId: job.report.jobId, provider: job.report.provider });
        job.handle.cancel();
      }
      // A cancelled job still waiting on a server that stopped answering must not hold the shutdown forever.
      await Promise.race([all, delay(CANCEL_GRACE_MS)]);
    }
    const abandoned = running.filter((job) => !job.ended).length;
    if (abandoned > 0) this.logger.warn('jobs did not end within the cancel grace period: abandoned (their files in flight have no ledger record)', { jobs: abandoned, graceMs: CANCEL_GRACE_MS });
    return { finished: running.length - cancelled, cancelled, abandoned };
  }

  private assertKnown(provider: string): void {
    if (!this.runtime.providers.names().includes(provider)) {
      throw new ApiError(404, `unknown provider "${provider}": the configured providers are ${this.runtime.providers.names().join(', ') || '(none)'}`);
    }
  }

  private apply(tracked: TrackedJob, event: JobEvent): void {
    const report = tracked.report;
    switch (event.type) {
      case 'job.started':
        tracked.report = {
          ...report,
          startedAt: event.at,
          progress: { ...report.progress, filesTotal: event.total, bytesTotal: event.totalBytes, percent: event.total === 0 ? 100 : 0 },
        };
        void this.persist(tracked);
        break;
      case 'file.started':
        tracked.inFlight.set(event.path, { size: event.size, bytes: 0 });
        break;
      case 'file.progress': {
        const file = tracked.inFlight.get(event.path);
        if (file) file.bytes = event.bytes;
        break;
      }
      case 'file.done': {
        const size = tracked.inFlight.get(event.path)?.size ?? 0;
        tracked.inFlight.delete(event.path);
        const bytesOut = event.outputs.reduce((sum, output) => sum + output.size, 0);
        this.metrics.fileDone(report.provider, size, bytesOut, event.durationMs);
        const result: ReportedFileResult = { path: event.path, size, status: 'done', outputs: event.outputs, durationMs: event.durationMs };
        // The files array is shared from report to report and grows in place: no copy per file.
        (report.files as ReportedFileResult[]).push(result);
        tracked.report = { ...report, progress: event.progress, succeeded: report.succeeded + 1, bytesIn: report.bytesIn + size, bytesOut: report.bytesOut + bytesOut };
        this.persistSoon(tracked);
        break;
      }
      case 'file.failed': {
        const size = tracked.inFlight.get(event.path)?.size ?? 0;
        tracked.inFlight.delete(event.path);
        this.metrics.fileFailed(report.provider, event.kind, event.durationMs);
        const result: ReportedFileResult = { path: event.path, size, status: 'failed', kind: event.kind, reason: event.reason, durationMs: event.durationMs };
        (report.files as ReportedFileResult[]).push(result);
        tracked.report = { ...report, progress: event.progress, failed: report.failed + 1 };
        this.persistSoon(tracked);
        break;
      }
      case 'job.finished': {
        this.metrics.jobEnded(report.provider, event.summary.status);
        tracked.inFlight.clear();
        tracked.report = finalJobReport(event.summary, report.owner, {
          createdAt: report.createdAt,
          startedAt: report.startedAt,
          bytesTotal: report.progress.bytesTotal,
          concurrency: report.concurrency,
        });
        // Watchers get job.finished from settle(), once the provider is free and the report saved.
        return;
      }
    }
    for (const watcher of tracked.watchers) watcher(event);
  }

  private async settle(tracked: TrackedJob, handle: JobHandle): Promise<void> {
    const summary = await handle.done;
    clearTimeout(tracked.writeTimer);
    await this.persist(tracked).catch(() => undefined);
    tracked.ended = true;
    this.logger.info('job finished', {
      jobId: handle.id,
      provider: handle.provider,
      status: summary.status,
      total: summary.total,
      succeeded: summary.succeeded,
      failed: summary.failed,
      durationMs: summary.durationMs,
      ...(summary.error ? { error: summary.error } : {}),
    });
    const finished = handle.events.find((event) => event.type === 'job.finished');
    if (finished) for (const watcher of tracked.watchers) watcher(finished);
    tracked.watchers.clear();
    this.trimMemory();
  }

  /** Keeps per-file results in memory for the newest finished jobs only; the rest stay in their reports. */
  private trimMemory(): void {
    const finished = [...this.jobs.values()]
      .filter((job) => job.ended && !job.detailOnDisk)
      .sort((a, b) => newestJobReportFirst(a.report, b.report));
    for (const job of finished.slice(DETAILED_JOBS_IN_MEMORY)) {
      const { plan: _plan, ...rest } = job.report;
      job.report = { ...rest, files: [] };
      job.detailOnDisk = true;
    }
  }

  /** {@link detail}, reading the file results back from the report when memory no longer holds them. */
  private async fullDetail(tracked: TrackedJob): Promise<JobDetailView> {
    if (!tracked.detailOnDisk) return this.detail(tracked);
    const report = await this.store.get(tracked.report.jobId).catch(() => undefined);
    return this.detail({ ...tracked, report: report ?? tracked.report, inFlight: new Map() });
  }

  /** Rewrites the report at most once a second while files end. */
  private persistSoon(tracked: TrackedJob): void {
    if (tracked.writeTimer) return;
    const wait = Math.max(0, tracked.lastWrite + REPORT_WRITE_INTERVAL_MS - Date.now());
    tracked.writeTimer = setTimeout(() => {
      tracked.writeTimer = undefined;
      void this.persist(tracked);
    }, wait);
    tracked.writeTimer.unref();
  }

  private persist(tracked: TrackedJob): Promise<void> {
    tracked.writes = tracked.writes.then(async () => {
      tracked.lastWrite = Date.now();
      try {
        await this.store.save(tracked.report);
      } catch (error) {
        this.logger.error('cannot write the job report', { jobId: tracked.report.jobId, error: (error as Error).message });
      }
    });
    return tracked.writes;
  }

  private summary(tracked: TrackedJob): JobSummaryView {
    const r = tracked.report;
    const end = r.finishedAt ? Date.parse(r.finishedAt) : undefined;
    return {
      id: r.jobId,
      provider: r.provider,
      status: r.status,
      dryRun: r.dryRun,
      ...(r.concurrency ? { concurrency: r.concurrency } : {}),
      progress: { ...r.progress },
      counts: { total: r.progress.filesTotal, succeeded: r.succeeded, failed: r.failed },
      bytes: { in: r.bytesIn, out: r.bytesOut },
      createdAt: r.createdAt,
      startedAt: r.startedAt ?? null,
      finishedAt: r.finishedAt ?? null,
      durationMs: end === undefined ? null : end - Date.parse(r.createdAt),
      ...(r.error ? { error: r.error } : {}),
    };
  }

  private detail(tracked: TrackedJob): JobDetailView {
    return {
      ...this.summary(tracked),
      files: tracked.report.files.map((file) => (file.status === 'done' ? { ...file, outputs: [...file.outputs] } : { ...file })),
      inFlight: [...tracked.inFlight.entries()].map(([file, state]) => ({ path: file, size: state.size, bytes: state.bytes })),
      ...(tracked.report.plan ? { plan: tracked.report.plan.map((planned) => ({ ...planned, layers: [...planned.layers] })) } : {}),
    };
  }

}

/** A job to track from its report; `handle` when it runs in this process. */
function trackedJob(report: JobReport, handle?: JobHandle): TrackedJob {
  return {
    report,
    ...(handle ? { handle } : {}),
    inFlight: new Map(),
    watchers: new Set(),
    ended: !ACTIVE_JOB_STATUSES.has(report.status),
    settled: Promise.resolve(),
    writes: Promise.resolve(),
    lastWrite: 0,
  };
}

function conflict(provider: string, jobId: string | undefined): ApiError {
  return new ApiError(409, `provider ${provider} already has job ${jobId ?? '(unknown)'} running: one sync per provider at a time`, jobId);
}

/** How long cancelled jobs may take to abort their files at shutdown before the API stops waiting for them. */
export const CANCEL_GRACE_MS = 10_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
