import type { JobEvent } from '@octo/core';
import { describe, expect, it } from 'vitest';
import { abandonedSummary } from './abandoned-summary.js';

const progress = { filesDone: 1, filesTotal: 3, percent: 33.33, bytesDone: 10, bytesTotal: 30 };

describe(abandonedSummary, () => {
  it('should keep the files that ended and report those still in flight as cancelled, with no ledger record', () => {
    const events: JobEvent[] = [
      { type: 'job.started', jobId: 'j', provider: 'acme', total: 3, totalBytes: 30, at: '2026-11-01T10:00:00.000Z' },
      { type: 'file.started', jobId: 'j', path: 'a.csv', size: 10, at: '2026-11-01T10:00:00.100Z' },
      { type: 'file.started', jobId: 'j', path: 'b.csv', size: 12, at: '2026-11-01T10:00:00.200Z' },
      { type: 'file.done', jobId: 'j', path: 'a.csv', outputs: [{ key: 'data/csv/acme/a.csv', size: 10, sha256: 'x' }], durationMs: 50, progress, at: '2026-11-01T10:00:00.150Z' },
    ];
    const summary = abandonedSummary({ id: 'j', provider: 'acme', dryRun: false, events }, 'SIGTERM', 10_000, '2026-11-01T09:59:59.000Z', new Date('2026-11-01T10:00:11.000Z'));
    expect(summary).toMatchObject({ jobId: 'j', provider: 'acme', status: 'cancelled', total: 3, succeeded: 1, failed: 1, bytesIn: 10, bytesOut: 10, durationMs: 12_000 });
    expect(summary.files).toEqual([
      { path: 'a.csv', size: 10, status: 'done', sha256: '', outputs: [{ key: 'data/csv/acme/a.csv', size: 10, sha256: 'x' }], durationMs: 50 },
      {
        path: 'b.csv',
        size: 12,
        status: 'failed',
        kind: 'cancelled',
        reason: 'b.csv: the job was cancelled and this file did not finish aborting within 10 s; it has no ledger record, so the next run takes it again',
        durationMs: 10_800,
      },
    ]);
    expect(summary.error).toEqual({
      kind: 'cancelled',
      reason: 'cancelled by SIGTERM; the job did not end within 10 s (a call to the source or the store still waited), so octo stopped waiting: files in flight have no ledger record, and the next run takes them again',
    });
  });
});
