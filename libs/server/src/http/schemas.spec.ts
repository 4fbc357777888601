import { describe, expect, it } from 'vitest';
import { jobEventSchema } from './schemas.js';

describe('jobEventSchema', () => {
  const progress = { filesDone: 1, filesTotal: 2, percent: 50, bytesDone: 10, bytesTotal: 20 };
  const done = { type: 'file.done', jobId: 'j-1', path: 'a.csv', outputs: [{ key: 'data/csv/x/a.csv', size: 10, sha256: 'ab' }], durationMs: 5, progress, at: '2026-11-01T06:00:00.000Z' };

  it('should keep the attempt of a file a second worker took over (distributed mode), so the API shows it was retried', () => {
    expect(jobEventSchema.parse({ ...done, attempt: 2 })).toMatchObject({ attempt: 2 });
    expect(jobEventSchema.parse({ ...done, type: 'file.failed', kind: 'source', reason: 'a.csv: gone', outputs: undefined, attempt: 3 })).toMatchObject({ attempt: 3 });
  });

  it('should leave it out on a first delivery, and refuse an attempt below 2', () => {
    expect(jobEventSchema.parse(done)).not.toHaveProperty('attempt');
    expect(jobEventSchema.safeParse({ ...done, attempt: 1 }).success).toBe(false);
  });
});
