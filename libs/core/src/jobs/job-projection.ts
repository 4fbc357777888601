import type { JobEvent, Retried } from '../ports/job-events.js';
import type { StageTimings } from '../ports/stage-timings.js';
import { finalJobReport, type JobReport, type ReportedFileResult } from './job-report.js';

/** A file being processed now, as far as its events told. */
export interface InFlightFile {
  readonly size: number;
  bytes: number;
}

/** A job's state as its events make it: the report so far and the files in flight. */
export interface JobState {
  report: JobReport;
  readonly inFlight: Map<string, InFlightFile>;
}

/** The state of a job that has not sent any event yet. */
export function initialJobState(report: JobReport): JobState {
  return { report, inFlight: new Map() };
}

/**
 * The one projection from a job's events to its state and report, used by every process that
 * follows a job (the runner that runs it, the CLI, the API, workers): counts, bytes, progress,
 * each file's result, and the final report from the summary. Mutates `state`; the files array
 * grows in place, so a job of many files is not copied per file.
 */
export function applyJobEvent(state: JobState, event: JobEvent): void {
  const report = state.report;
  switch (event.type) {
    case 'job.started':
      state.report = {
        ...report,
        startedAt: event.at,
        progress: { ...report.progress, filesTotal: event.total, bytesTotal: event.totalBytes, percent: event.total === 0 ? 100 : 0 },
      };
      return;
    case 'file.started':
      state.inFlight.set(event.path, { size: event.size, bytes: 0 });
      return;
    case 'file.progress': {
      const file = state.inFlight.get(event.path);
      if (file) file.bytes = event.bytes;
      return;
    }
    case 'file.done': {
      const size = state.inFlight.get(event.path)?.size ?? 0;
      state.inFlight.delete(event.path);
      const bytesOut = event.outputs.reduce((sum, output) => sum + output.size, 0);
      const result: ReportedFileResult = { path: event.path, size, status: 'done', outputs: event.outputs, durationMs: event.durationMs, ...stagesOf(event), ...(event.retiredKey ? { retiredKey: event.retiredKey } : {}), ...retried(event) };
      (report.files as ReportedFileResult[]).push(result);
      state.report = { ...report, progress: event.progress, succeeded: report.succeeded + 1, bytesIn: report.bytesIn + size, bytesOut: report.bytesOut + bytesOut };
      return;
    }
    case 'file.failed': {
      const size = state.inFlight.get(event.path)?.size ?? 0;
      state.inFlight.delete(event.path);
      const result: ReportedFileResult = { path: event.path, size, status: 'failed', kind: event.kind, reason: event.reason, durationMs: event.durationMs, ...stagesOf(event), ...retried(event) };
      (report.files as ReportedFileResult[]).push(result);
      state.report = { ...report, progress: event.progress, failed: report.failed + 1 };
      return;
    }
    case 'job.finished':
      state.inFlight.clear();
      state.report = finalJobReport(event.summary, report.owner, {
        createdAt: report.createdAt,
        startedAt: report.startedAt,
        bytesTotal: report.progress.bytesTotal,
        concurrency: report.concurrency,
      });
      return;
  }
}

/** A retried file's attempt, kept in its result (absent on a first delivery). */
function retried(event: Retried): Retried {
  return event.attempt === undefined ? {} : { attempt: event.attempt };
}

/** A file event's stage timings, when it carries them (events of older versions do not). */
function stagesOf(event: { readonly stages?: StageTimings }): { stages?: StageTimings } {
  return event.stages ? { stages: event.stages } : {};
}
