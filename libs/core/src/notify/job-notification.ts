import type { JobSummary } from '../ports/job-events.js';

/** The most failed files one notification lists; the rest are counted (`failedFilesOmitted`). */
export const MAX_LISTED_FAILURES = 100;

/** Why a notification is sent. */
export type NotificationEvent = 'job.finished' | 'job.failed';

/** The `octo` body of a webhook delivery (docs/notifications.md). */
export interface JobNotification {
  readonly event: NotificationEvent;
  readonly provider: string;
  readonly job: {
    readonly id: string;
    readonly status: JobSummary['status'];
    readonly startedAt: string;
    readonly finishedAt: string;
    readonly durationMs: number;
    readonly total: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly error?: JobSummary['error'];
  };
  /** Every failed file with its reason (at most {@link MAX_LISTED_FAILURES}). */
  readonly failedFiles: ReadonlyArray<{ readonly path: string; readonly kind: string; readonly reason: string }>;
  readonly failedFilesOmitted: number;
}

/** A job that failed as a whole, or in any of its files: what `on: [failure]` is told about. */
export function isFailure(summary: JobSummary): boolean {
  return summary.status === 'failed' || summary.status === 'partial' || summary.status === 'interrupted' || summary.failed > 0;
}

/** The notification for a finished job. */
export function jobNotification(summary: JobSummary): JobNotification {
  const failures = summary.files.flatMap((file) => (file.status === 'failed' ? [{ path: file.path, kind: file.kind, reason: file.reason }] : []));
  return {
    event: isFailure(summary) ? 'job.failed' : 'job.finished',
    provider: summary.provider,
    job: {
      id: summary.jobId,
      status: summary.status,
      startedAt: summary.startedAt,
      finishedAt: summary.finishedAt,
      durationMs: summary.durationMs,
      total: summary.total,
      succeeded: summary.succeeded,
      failed: summary.failed,
      bytesIn: summary.bytesIn,
      bytesOut: summary.bytesOut,
      ...(summary.error ? { error: summary.error } : {}),
    },
    failedFiles: failures.slice(0, MAX_LISTED_FAILURES),
    failedFilesOmitted: Math.max(0, failures.length - MAX_LISTED_FAILURES),
  };
}

/** The same notification as a Slack incoming-webhook message (plain `text`, so every Slack-compatible receiver shows it). */
export function slackMessage(notification: JobNotification): { text: string } {
  const { job, provider } = notification;
  const head = `${notification.event === 'job.failed' ? ':warning:' : ':white_check_mark:'} octo: ${provider} job ${job.status} — ${job.succeeded} of ${job.total} file(s) ingested, ${job.failed} failed (job ${job.id})`;
  const lines = [head];
  if (job.error) lines.push(`job error (${job.error.kind}): ${job.error.reason}`);
  for (const file of notification.failedFiles.slice(0, 20)) lines.push(`• ${file.path}: ${file.reason}`);
  const more = notification.failedFiles.length - Math.min(notification.failedFiles.length, 20) + notification.failedFilesOmitted;
  if (more > 0) lines.push(`… and ${more} more failed file(s)`);
  return { text: lines.join('\n') };
}
