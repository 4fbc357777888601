import { describe, expect, it } from 'vitest';
import type { RemoteFile } from '../ports/remote-source.js';
import { holdForManifest, parseManifest } from './hold-for-manifest.js';

const file = (p: string, size: number): RemoteFile => ({ path: p, size, mtimeMs: 0 });

describe('holdForManifest', () => {
  it('should take the files the manifest lists at their size, hold the others with why, and never take the manifest', async () => {
    const manifests: Record<string, string> = { 'day1/MANIFEST': '# batch 1\na.csv 5\nb.csv,10\nc d.pdf  7\n' };
    const { ready, waiting } = await holdForManifest(
      [file('day1/a.csv', 5), file('day1/b.csv', 8), file('day1/c d.pdf', 7), file('day1/extra.csv', 1), file('day1/MANIFEST', 30), file('day2/e.csv', 2)],
      'MANIFEST',
      async (p) => Buffer.from(manifests[p] ?? ''),
    );
    expect(ready.map((f) => f.path)).toEqual(['day1/a.csv', 'day1/c d.pdf']);
    expect(waiting.map(({ path, for: marker, reason }) => ({ path, for: marker, reason }))).toEqual([
      { path: 'day1/b.csv', for: 'day1/MANIFEST', reason: 'the manifest lists b.csv at 10 bytes, the server has 8 (still being written?)' },
      { path: 'day1/extra.csv', for: 'day1/MANIFEST', reason: 'the manifest does not list extra.csv' },
      { path: 'day2/e.csv', for: 'day2/MANIFEST', reason: undefined },
    ]);
  });

  it('should hold a folder whose manifest cannot be read or parsed, saying why', async () => {
    const unreadable = await holdForManifest([file('a.csv', 1), file('MANIFEST', 9)], 'MANIFEST', async () => {
      throw new Error('MANIFEST is 2000000 bytes, more than the 1048576 expected');
    });
    expect(unreadable.waiting[0]?.reason).toBe('the manifest MANIFEST: it cannot be read: MANIFEST is 2000000 bytes, more than the 1048576 expected');
    expect(parseManifest('a.csv five\n')).toBe('line 1 is not "name size" or "name,size"');
  });
});
