import { stageTotals, type InFlightFile, type JobReport } from '@octo/core';
import type { JobDetailView, JobSummaryView } from '../http/schemas.js';

/** A job as `GET /v1/jobs` lists it, from its report. */
export function jobSummaryView(report: JobReport): JobSummaryView {
  const end = report.finishedAt ? Date.parse(report.finishedAt) : undefined;
  return {
    id: report.jobId,
    provider: report.provider,
    status: report.status,
    dryRun: report.dryRun,
    ...(report.concurrency ? { concurrency: report.concurrency } : {}),
    progress: { ...report.progress },
    counts: { total: report.progress.filesTotal, succeeded: report.succeeded, failed: report.failed },
    bytes: { in: report.bytesIn, out: report.bytesOut },
    createdAt: report.createdAt,
    startedAt: report.startedAt ?? null,
    finishedAt: report.finishedAt ?? null,
    durationMs: end === undefined ? null : end - Date.parse(report.createdAt),
    ...(report.error ? { error: report.error } : {}),
  };
}

/** A job as `GET /v1/jobs/:id` shows it: its report, each file's result, and the files in flight (known only where it runs). */
export function jobDetailView(report: JobReport, inFlight: ReadonlyMap<string, InFlightFile> = new Map()): JobDetailView {
  return {
    ...jobSummaryView(report),
    files: report.files.map((file) => (file.status === 'done' ? { ...file, outputs: [...file.outputs] } : { ...file })),
    stages: stageTotals(report.files),
    inFlight: [...inFlight.entries()].map(([file, state]) => ({ path: file, size: state.size, bytes: state.bytes })),
    ...(report.plan ? { plan: report.plan.map((planned) => ({ ...planned, layers: [...planned.layers] })) } : {}),
    ...(report.waiting ? { waiting: report.waiting.map((file) => ({ ...file })) } : {}),
    ...(report.skipped ? { skipped: report.skipped.map((file) => ({ ...file })) } : {}),
  };
}
