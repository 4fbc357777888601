import type { FileResult, JobEvent, JobSummary } from '@octo/core';

/**
 * The summary of a cancelled job that did not end within the cancel deadline, from the events
 * it sent: the files that ended keep their result, the files still in flight are reported
 * failed with kind `cancelled` (nothing of them reached the ledger, so the next run takes them).
 */
export function abandonedSummary(
  job: { readonly id: string; readonly provider: string; readonly dryRun: boolean; readonly events: readonly JobEvent[] },
  signal: string,
  deadlineMs: number,
  /** When the job was accepted (before its first event). */
  acceptedAt: string,
  now = new Date(),
): JobSummary {
  const ended = new Map<string, FileResult>();
  const inFlight = new Map<string, { size: number; at: string }>();
  let total = 0;
  for (const event of job.events) {
    if (event.type === 'job.started') total = event.total;
    if (event.type === 'file.started') inFlight.set(event.path, { size: event.size, at: event.at });
    if (event.type === 'file.done' || event.type === 'file.failed') {
      const size = inFlight.get(event.path)?.size ?? 0;
      inFlight.delete(event.path);
      ended.set(
        event.path,
        event.type === 'file.done'
          ? { path: event.path, size, status: 'done', sha256: '', outputs: event.outputs, durationMs: event.durationMs }
          : { path: event.path, size, status: 'failed', kind: event.kind, reason: event.reason, durationMs: event.durationMs },
      );
    }
  }
  for (const [path, file] of inFlight) {
    ended.set(path, {
      path,
      size: file.size,
      status: 'failed',
      kind: 'cancelled',
      reason: `${path}: the job was cancelled and this file did not finish aborting within ${deadlineMs / 1000} s; it has no ledger record, so the next run takes it again`,
      durationMs: now.getTime() - Date.parse(file.at),
    });
  }
  const files = [...ended.values()].sort((a, b) => a.path.localeCompare(b.path));
  const done = files.filter((file) => file.status === 'done');
  const startedAt = acceptedAt;
  return {
    jobId: job.id,
    provider: job.provider,
    status: 'cancelled',
    dryRun: job.dryRun,
    total,
    succeeded: done.length,
    failed: files.length - done.length,
    bytesIn: done.reduce((sum, file) => sum + file.size, 0),
    bytesOut: done.reduce((sum, file) => sum + (file.status === 'done' ? file.outputs.reduce((bytes, output) => bytes + output.size, 0) : 0), 0),
    startedAt,
    finishedAt: now.toISOString(),
    durationMs: now.getTime() - Date.parse(startedAt),
    files,
    error: {
      kind: 'cancelled',
      reason: `cancelled by ${signal}; the job did not end within ${deadlineMs / 1000} s (a call to the source or the store still waited), so octo stopped waiting: files in flight have no ledger record, and the next run takes them again`,
    },
  };
}
