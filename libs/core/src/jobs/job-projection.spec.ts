import { describe, expect, it } from 'vitest';
import type { JobEvent, JobSummary } from '../ports/job-events.js';
import { applyJobEvent, initialJobState } from './job-projection.js';
import { startedJobReport } from './job-report.js';

const at = '2026-11-20T10:00:00.000Z';
const owner = { pid: 1, host: 'h' };
const progress = (filesDone: number, bytesDone: number) => ({ filesDone, filesTotal: 3, percent: Math.round((filesDone / 3) * 10_000) / 100, bytesDone, bytesTotal: 60 });

describe(applyJobEvent, () => {
  describe('when a job runs', () => {
    it('should count files, bytes and progress, keep each result, and track the files in flight', () => {
      const state = initialJobState(startedJobReport({ id: 'job-1', provider: 'example', dryRun: false }, owner, 2));
      const events: JobEvent[] = [
        { type: 'job.started', jobId: 'job-1', provider: 'example', total: 3, totalBytes: 60, at },
        { type: 'file.started', jobId: 'job-1', path: 'a.csv', size: 10, at },
        { type: 'file.started', jobId: 'job-1', path: 'b.csv', size: 20, at },
        { type: 'file.progress', jobId: 'job-1', path: 'b.csv', bytes: 7, size: 20, at },
        { type: 'file.done', jobId: 'job-1', path: 'a.csv', outputs: [{ key: 'data/csv/a.csv', size: 12, sha256: 'f'.repeat(64) }], durationMs: 5, progress: progress(1, 10), at },
        { type: 'file.failed', jobId: 'job-1', path: 'c.csv', kind: 'decrypt', reason: 'wrong key', durationMs: 3, progress: progress(2, 10), at },
      ];
      for (const event of events) applyJobEvent(state, event);
      expect(state.report).toMatchObject({ status: 'running', startedAt: at, succeeded: 1, failed: 1, bytesIn: 10, bytesOut: 12, progress: progress(2, 10), concurrency: 2 });
      expect(state.report.files.map((file) => [file.path, file.status])).toEqual([
        ['a.csv', 'done'],
        ['c.csv', 'failed'],
      ]);
      expect([...state.inFlight.entries()]).toEqual([['b.csv', { size: 20, bytes: 7 }]]);
    });
  });

  describe('when a retired key decrypted a file', () => {
    it("should keep the key's fingerprint with the file's result, for the metrics", () => {
      const state = initialJobState(startedJobReport({ id: 'job-1', provider: 'example', dryRun: false }, owner));
      applyJobEvent(state, { type: 'file.started', jobId: 'job-1', path: 'a.csv.gpg', size: 10, at });
      applyJobEvent(state, { type: 'file.started', jobId: 'job-1', path: 'b.csv.gpg', size: 10, at });
      applyJobEvent(state, { type: 'file.done', jobId: 'job-1', path: 'a.csv.gpg', outputs: [], durationMs: 5, progress: progress(1, 10), at, retiredKey: 'AB'.repeat(20) });
      applyJobEvent(state, { type: 'file.done', jobId: 'job-1', path: 'b.csv.gpg', outputs: [], durationMs: 5, progress: progress(2, 20), at });
      expect(state.report.files.map((file) => [file.path, file.status === 'done' ? file.retiredKey : 'failed'])).toEqual([
        ['a.csv.gpg', 'AB'.repeat(20)],
        ['b.csv.gpg', undefined],
      ]);
    });
  });

  describe('when the job finishes', () => {
    it('should take the summary as the final report and keep when it was accepted', () => {
      const state = initialJobState(startedJobReport({ id: 'job-1', provider: 'example', dryRun: false }, owner));
      const createdAt = state.report.createdAt;
      applyJobEvent(state, { type: 'job.started', jobId: 'job-1', provider: 'example', total: 1, totalBytes: 10, at });
      applyJobEvent(state, { type: 'file.started', jobId: 'job-1', path: 'a.csv', size: 10, at });
      const summary: JobSummary = {
        jobId: 'job-1',
        provider: 'example',
        status: 'succeeded',
        dryRun: false,
        total: 1,
        succeeded: 1,
        failed: 0,
        bytesIn: 10,
        bytesOut: 12,
        startedAt: at,
        finishedAt: '2026-11-20T10:00:05.000Z',
        durationMs: 5000,
        files: [{ path: 'a.csv', size: 10, status: 'done', sha256: 'e'.repeat(64), outputs: [{ key: 'data/csv/a.csv', size: 12, sha256: 'f'.repeat(64) }], durationMs: 5 }],
      };
      applyJobEvent(state, { type: 'job.finished', jobId: 'job-1', summary, at: summary.finishedAt });
      expect(state.report).toMatchObject({ status: 'succeeded', createdAt, startedAt: at, finishedAt: summary.finishedAt, succeeded: 1, progress: { filesDone: 1, filesTotal: 1, percent: 100, bytesTotal: 10 } });
      expect(state.report.files).toEqual(summary.files);
      expect(state.inFlight.size).toBe(0);
    });
  });
});
