import { describe, expect, it } from 'vitest';
import type { JobSummary } from '../ports/job-events.js';
import { isFailure, jobNotification, MAX_LISTED_FAILURES, slackMessage } from './job-notification.js';

function summary(overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    jobId: 'job-1',
    provider: 'acme-bank',
    status: 'partial',
    dryRun: false,
    total: 3,
    succeeded: 2,
    failed: 1,
    bytesIn: 300,
    bytesOut: 900,
    startedAt: '2026-12-01T06:00:00.000Z',
    finishedAt: '2026-12-01T06:00:05.000Z',
    durationMs: 5000,
    files: [
      { path: 'a.csv', size: 100, status: 'done', sha256: 'x', outputs: [], durationMs: 1 },
      { path: 'b.csv.gpg', size: 100, status: 'failed', kind: 'decrypt', reason: 'b.csv.gpg: wrong key', durationMs: 1 },
      { path: 'c.csv', size: 100, status: 'done', sha256: 'y', outputs: [], durationMs: 1 },
    ],
    ...overrides,
  };
}

describe('jobNotification', () => {
  it('should carry the summary and every failed file with its reason, not the files that landed', () => {
    expect(jobNotification(summary())).toEqual({
      event: 'job.failed',
      provider: 'acme-bank',
      job: { id: 'job-1', status: 'partial', startedAt: '2026-12-01T06:00:00.000Z', finishedAt: '2026-12-01T06:00:05.000Z', durationMs: 5000, total: 3, succeeded: 2, failed: 1, bytesIn: 300, bytesOut: 900 },
      failedFiles: [{ path: 'b.csv.gpg', kind: 'decrypt', reason: 'b.csv.gpg: wrong key' }],
      failedFilesOmitted: 0,
    });
  });

  it('should call a clean job job.finished, and a job that could not run a failure with its error', () => {
    expect(jobNotification(summary({ status: 'succeeded', failed: 0, files: [] })).event).toBe('job.finished');
    const failed = jobNotification(summary({ status: 'failed', total: 0, succeeded: 0, failed: 0, files: [], error: { kind: 'source', reason: 'sftp: refused' } }));
    expect(failed.event).toBe('job.failed');
    expect(failed.job.error).toEqual({ kind: 'source', reason: 'sftp: refused' });
  });

  it(`should list at most ${MAX_LISTED_FAILURES} failed files and count the rest`, () => {
    const files = Array.from({ length: 130 }, (_, i) => ({ path: `f${i}`, size: 1, status: 'failed' as const, kind: 'unpack' as const, reason: 'bad', durationMs: 1 }));
    const notification = jobNotification(summary({ files, failed: 130, total: 130, succeeded: 0 }));
    expect(notification.failedFiles).toHaveLength(MAX_LISTED_FAILURES);
    expect(notification.failedFilesOmitted).toBe(30);
    expect(slackMessage(notification).text.split('\n').at(-1)).toBe('… and 110 more failed file(s)');
  });

  it('should treat partial, failed and interrupted jobs as failures, and a clean or cancelled one not', () => {
    expect(isFailure(summary())).toBe(true);
    expect(isFailure(summary({ status: 'interrupted', failed: 0 }))).toBe(true);
    expect(isFailure(summary({ status: 'succeeded', failed: 0 }))).toBe(false);
    expect(isFailure(summary({ status: 'cancelled', failed: 0 }))).toBe(false);
  });
});

describe('slackMessage', () => {
  it('should say in one line what happened, then each failed file', () => {
    expect(slackMessage(jobNotification(summary())).text).toBe(
      ':warning: octo: acme-bank job partial — 2 of 3 file(s) ingested, 1 failed (job job-1)\n• b.csv.gpg: b.csv.gpg: wrong key',
    );
  });
});
