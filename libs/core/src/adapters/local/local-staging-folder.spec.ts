import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { LocalObjectStore } from './local-object-store.js';

// mkdir as it is, until a test makes one call fail the way a concurrent removal of the run's folder does.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, mkdir: vi.fn(actual.mkdir) };
});

/** What Node's recursive mkdir reports when the parent it just made is removed under it. */
function vanishedParent(code: 'ENOTDIR' | 'ENOENT'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: not a directory, mkdir '/tmp/x'`), { code, syscall: 'mkdir' });
}

describe('LocalObjectStore staging folders', () => {
  describe('when another file of the run removes the run folder while this one makes its staging folder', () => {
    it.each(['ENOTDIR', 'ENOENT'] as const)('should make it again and land the file (%s)', async (code) => {
      const root = await mkdtemp(path.join(tmpdir(), 'octo-store-'));
      const staging = new LocalObjectStore(root).begin({ runId: 'one-run' });
      vi.mocked(mkdir).mockRejectedValueOnce(vanishedParent(code));
      await staging.put('data/csv/p/a.csv', Readable.from(['a,b\n']));
      await staging.commit();
      expect(await readFile(path.join(root, 'data/csv/p/a.csv'), 'utf8')).toBe('a,b\n');
    });
  });

  it('should give up on a folder that keeps failing, naming the key and the code', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'octo-store-'));
    const staging = new LocalObjectStore(root).begin({ runId: 'one-run' });
    for (let n = 0; n < 5; n += 1) vi.mocked(mkdir).mockRejectedValueOnce(vanishedParent('ENOTDIR'));
    await expect(staging.put('data/csv/p/a.csv', Readable.from(['a,b\n']))).rejects.toThrow(/^cannot stage data\/csv\/p\/a\.csv in the bucket folder: .*\(ENOTDIR, mkdir\)$/);
    await expect(staging.put('data/csv/p/a.csv', Readable.from(['a,b\n']))).resolves.toMatchObject({ key: 'data/csv/p/a.csv', size: 4 });
  });
});
