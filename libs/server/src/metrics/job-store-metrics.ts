import { ACTIVE_JOB_STATUSES, type JobReport, type JobStore } from '@octo/core';
import type { OctoMetrics } from './octo-metrics.js';

/**
 * Feeds the API's metrics from the job store, so jobs of every process (`octo sync` from cron,
 * another API, workers) are counted, each once: at every scrape, running jobs are counted per
 * provider, and the files and jobs that ended since the last scrape are added. What had ended
 * before the API started is not added, so counters start at zero like any counter.
 */
export class JobStoreMetrics {
  /** Per job, the paths already counted; a finished job's entry is its final count. */
  private readonly counted = new Map<string, Set<string>>();
  private readonly finished = new Set<string>();

  private constructor(
    private readonly store: JobStore,
    private readonly metrics: OctoMetrics,
  ) {}

  /** Takes what the store holds now as counted and refreshes `metrics` before each scrape. */
  static async start(store: JobStore, metrics: OctoMetrics): Promise<JobStoreMetrics> {
    const feed = new JobStoreMetrics(store, metrics);
    for (const report of await store.list().catch(() => [])) {
      feed.counted.set(report.jobId, new Set(report.files.map((file) => file.path)));
      if (!ACTIVE_JOB_STATUSES.has(report.status)) feed.finished.add(report.jobId);
    }
    metrics.onScrape(() => feed.refresh());
    return feed;
  }

  /** Reads the store and adds what changed since the last call. */
  async refresh(): Promise<void> {
    const reports = await this.store.list();
    const running = new Map<string, number>();
    for (const report of reports) {
      if (ACTIVE_JOB_STATUSES.has(report.status)) running.set(report.provider, (running.get(report.provider) ?? 0) + 1);
      if (this.finished.has(report.jobId) || report.dryRun) continue;
      this.countFiles(report);
      if (!ACTIVE_JOB_STATUSES.has(report.status)) {
        this.finished.add(report.jobId);
        this.metrics.jobEnded(report.provider, report.status);
        if (foundNothing(report)) this.metrics.pollFoundNothing(report.provider);
      }
    }
    for (const provider of new Set([...reports.map((report) => report.provider), ...running.keys()])) this.metrics.setJobsRunning(provider, running.get(provider) ?? 0);
    // Jobs pruned from the store need no memory here any more.
    const kept = new Set(reports.map((report) => report.jobId));
    for (const jobId of this.finished) if (!kept.has(jobId)) this.finished.delete(jobId);
    for (const jobId of this.counted.keys()) if (!kept.has(jobId)) this.counted.delete(jobId);
  }

  private countFiles(report: JobReport): void {
    let seen = this.counted.get(report.jobId);
    if (!seen) this.counted.set(report.jobId, (seen = new Set()));
    for (const file of report.files) {
      if (seen.has(file.path)) continue;
      seen.add(file.path);
      if (file.status === 'done') {
        this.metrics.fileDone(report.provider, file.size, file.outputs.reduce((sum, output) => sum + output.size, 0), file.durationMs, file.stages);
        if (file.retiredKey) this.metrics.retiredKeyUsed(report.provider, file.retiredKey);
      } else {
        this.metrics.fileFailed(report.provider, file.kind, file.durationMs, file.size, file.stages);
      }
    }
  }
}

/** A run that listed the drop and had nothing to ingest (not one that could not list it). */
function foundNothing(report: JobReport): boolean {
  return report.status === 'succeeded' && report.progress.filesTotal === 0;
}
