import type { JobSummary } from '@octo/core';
import { describe, expect, it } from 'vitest';
import { renderSummary } from './summary.js';

const summary: JobSummary = {
  jobId: 'job-1',
  provider: 'acme',
  status: 'succeeded',
  dryRun: false,
  total: 1,
  succeeded: 1,
  failed: 0,
  bytesIn: 5,
  bytesOut: 5,
  startedAt: '2026-12-01T06:00:00.000Z',
  finishedAt: '2026-12-01T06:00:01.000Z',
  durationMs: 1000,
  files: [
    { path: 'd.csv', size: 5, status: 'done', sha256: 'x', outputs: [{ key: 'data/csv/acme/d.csv', size: 5, sha256: 'y' }], durationMs: 5, afterIngest: { action: 'move', status: 'failed', reason: 'd.csv was ingested but not moved: permission denied' } },
  ],
  waiting: [{ path: 'e.csv', for: 'e.csv.done' }],
};

describe('renderPartnerServerNotes', () => {
  it('should list the files waiting for their marker and the ingested files left on the server, with why', () => {
    const text = renderSummary([summary]);
    expect(text).toContain('acme: 1 file(s) wait for their ready marker:\nfile   waits for\n-----  ----------\ne.csv  e.csv.done');
    expect(text).toContain('acme: 1 file(s) ingested but left on the server:');
    expect(text).toContain('d.csv  move    d.csv was ingested but not moved: permission denied');
  });

  it('should not say every file is ingested when files wait', () => {
    expect(renderSummary([{ ...summary, total: 0, succeeded: 0, files: [] }])).not.toContain('nothing to do');
  });
});
