import { describe, expect, it } from 'vitest';
import { fileJobId } from './file-job-id.js';

describe(fileJobId, () => {
  const file = { path: 'in/report.csv.gpg', size: 1200, mtimeMs: 1_793_750_400_000 };

  it('should give the same id for the same provider, path, size and mtime, so BullMQ never queues a file twice', () => {
    expect(fileJobId('acme', { ...file })).toBe(fileJobId('acme', file));
    expect(fileJobId('acme', file)).toMatch(/^file-[0-9a-f]{40}$/);
  });

  it('should give another id when the provider, the path, its bytes, the size or the mtime differ (a resend is a new job)', () => {
    const ids = new Set([
      fileJobId('acme', file),
      fileJobId('globex', file),
      fileJobId('acme', { ...file, path: 'in/report2.csv.gpg' }),
      fileJobId('acme', { ...file, rawPath: 'in/r%E9port.csv.gpg' }),
      fileJobId('acme', { ...file, size: 1201 }),
      fileJobId('acme', { ...file, mtimeMs: file.mtimeMs + 1 }),
    ]);
    expect(ids.size).toBe(6);
  });

  it('should never contain a colon, which BullMQ refuses in a custom id', () => {
    expect(fileJobId('a:b', { ...file, path: 'x:y' })).not.toContain(':');
  });
});
