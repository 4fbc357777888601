import type { JobSummary } from '@octo/core';
import { describe, expect, it } from 'vitest';
import { renderSummary } from './summary.js';

const base: JobSummary = {
  jobId: 'job-1',
  provider: 'acme',
  status: 'succeeded',
  dryRun: false,
  total: 0,
  succeeded: 0,
  failed: 0,
  bytesIn: 0,
  bytesOut: 0,
  startedAt: '2026-11-01T06:00:00.000Z',
  finishedAt: '2026-11-01T06:00:01.000Z',
  durationMs: 1000,
  files: [],
};

describe('renderSummary', () => {
  describe('when many providers had nothing to do', () => {
    it('should say so in one line naming them, and keep the others whole', () => {
      const idle = ['p01', 'p02', 'p03'].map((provider) => ({ ...base, provider }));
      const busy = { ...base, provider: 'acme', total: 1, failed: 1, status: 'partial' as const, files: [{ path: 'a.csv.gz', status: 'failed' as const, kind: 'unpack' as const, reason: 'a.csv.gz: gzip data is damaged', durationMs: 1, size: 5 }] };
      const text = renderSummary([...idle, busy]);
      expect(text).toContain('\nnothing to do for 3 provider(s), every file is already ingested: p01, p02, p03\n');
      expect(text).not.toContain('p01: nothing to do');
      expect(text).toContain('acme: 1 file(s) failed:');
      // One provider keeps its own line.
      expect(renderSummary([idle[0]!])).toContain('\np01: nothing to do, every file is already ingested\n');
      expect(renderSummary([idle[0]!, busy])).toContain('\np01: nothing to do, every file is already ingested\n');
    });
  });

  describe('when files were skipped', () => {
    it('should list each with why and the reason, and never say every file is ingested', () => {
      const text = renderSummary([{ ...base, skipped: [{ path: 'in/a.csv.gpg', size: 10, why: 'quarantined', reason: 'quarantined after failing 3 runs (...); fix it, then release it with octo retry acme in/a.csv.gpg' }] }]);
      expect(text).toContain('acme: 1 file(s) not attempted:\nfile');
      expect(text).toMatch(/\nin\/a\.csv\.gpg\s+quarantined\s+quarantined after failing 3 runs \(\.\.\.\); fix it, then release it with octo retry acme in\/a\.csv\.gpg\n/);
      expect(text).not.toContain('nothing to do');
    });
  });

  describe('in a dry run', () => {
    it('should list the quarantined files it would leave out', () => {
      const text = renderSummary([{ ...base, dryRun: true, plan: [], skipped: [{ path: 'in/a.csv.gpg', size: 10, why: 'quarantined', reason: 'quarantined after failing 3 runs' }] }]);
      expect(text).toContain('acme: nothing to do (dry run)');
      expect(text).toMatch(/acme: 1 file\(s\) not attempted:\nfile\s+why\s+reason\n[-\s]+\nin\/a\.csv\.gpg\s+quarantined\s+quarantined after failing 3 runs\n/);
    });
  });

  describe('when a file was a resend', () => {
    it('should name the file it repeats and what the policy did', () => {
      const resendOf = { path: 'in/a.csv.gz', size: 9, mtimeMs: 1, jobId: 'job-0', ingestedAt: '2026-10-31T06:00:00.000Z' };
      const text = renderSummary([
        {
          ...base,
          total: 2,
          succeeded: 2,
          files: [
            { path: 'in/b.csv.gz', size: 9, status: 'done', sha256: 'ab', outputs: [], durationMs: 5, resendOf: { ...resendOf, policy: 'skip' } },
            { path: 'in/c.csv.gz', size: 9, status: 'done', sha256: 'ab', outputs: [{ key: 'data/csv/acme/c.csv', size: 4, sha256: 'cd' }], durationMs: 5, resendOf: { ...resendOf, policy: 'land' } },
          ],
        },
      ]);
      expect(text).toContain('acme: 2 resend(s), the same bytes as an earlier file:');
      expect(text).toMatch(/\nin\/b\.csv\.gz\s+in\/a\.csv\.gz\s+2026-10-31T06:00:00\.000Z\s+skipped \(resend: skip\)\n/);
      expect(text).toMatch(/\nin\/c\.csv\.gz\s+in\/a\.csv\.gz\s+2026-10-31T06:00:00\.000Z\s+landed again\n/);
    });
  });
});
