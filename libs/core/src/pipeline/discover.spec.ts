import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RemoteFile, RemoteSource } from '../ports/remote-source.js';
import { discover } from './discover.js';

/** The least a source can be: a fixed listing, in no order, and nothing more. */
function minimalSource(files: RemoteFile[]): RemoteSource {
  return {
    description: 'memory://drop',
    list: async () => files,
    open: async () => Readable.from([]),
    readSmall: async () => Buffer.alloc(0),
    close: async () => undefined,
  };
}

const now = Date.now();
const old = now - 3_600_000;

describe(discover, () => {
  describe('when a new source lists files and their .sig files in no order', () => {
    const source = minimalSource([
      { path: 'b.csv', size: 2, mtimeMs: old },
      { path: 'a.csv.sig', size: 64, mtimeMs: old },
      { path: 'in/c.csv.SIG', size: 64, mtimeMs: old },
      { path: 'fresh.csv', size: 3, mtimeMs: now - 1_000 },
      { path: 'a.csv', size: 1, mtimeMs: old },
      { path: 'orphan.csv.sig', size: 64, mtimeMs: old },
      { path: 'in/c.csv', size: 4, mtimeMs: old },
    ]);

    it('should pair every signature with its file, in path order, never listing a .sig as data', async () => {
      const files = await discover(source);
      expect(files.map(({ path, signaturePath }) => ({ path, signaturePath }))).toEqual([
        { path: 'a.csv', signaturePath: 'a.csv.sig' },
        { path: 'b.csv', signaturePath: undefined },
        { path: 'fresh.csv', signaturePath: undefined },
        { path: 'in/c.csv', signaturePath: 'in/c.csv.SIG' },
      ]);
    });

    it('should leave files younger than the minimum age for the next run', async () => {
      const files = await discover(source, { minAgeMs: 60_000 });
      expect(files.map((file) => file.path)).toEqual(['a.csv', 'b.csv', 'in/c.csv']);
    });

    it('should take only what accepts takes, after pairing', async () => {
      const files = await discover(source, { accepts: (file) => file.signaturePath !== undefined });
      expect(files.map((file) => file.path)).toEqual(['a.csv', 'in/c.csv']);
    });
  });

  describe('when two listed names read alike once decoded', () => {
    it('should refuse the one that is not UTF-8, naming its bytes, and keep the other', async () => {
      const files = await discover(
        minimalSource([
          { path: 'café.csv', rawPath: 'caf%E9.csv', size: 1, mtimeMs: old },
          { path: 'café.csv', size: 1, mtimeMs: old },
        ]),
      );
      expect(files.map(({ rawPath, refused }) => ({ rawPath, refused }))).toEqual([
        { rawPath: undefined, refused: undefined },
        {
          rawPath: 'caf%E9.csv',
          refused:
            'its name is not UTF-8 (bytes caf%E9.csv) and reads as "café.csv" in Windows-1252, the same as another file in the drop; ask the provider to rename one of them',
        },
      ]);
    });
  });

  describe('when a refused entry is younger than the minimum age', () => {
    it('should report it now, since no later run can ingest it', async () => {
      const files = await discover(minimalSource([{ path: 'link.csv', size: 0, mtimeMs: now, refused: 'is a symbolic link' }]), { minAgeMs: 60_000 });
      expect(files.map((file) => file.refused)).toEqual(['is a symbolic link']);
    });
  });
});
