import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ObjectInfo, ObjectStore } from '../ports/object-store.js';
import { ContentIndex } from './content-index.js';

/** A store holding `entries` content index objects, counting listings and reads. */
function indexStore(entries: number) {
  const keys = Array.from({ length: entries }, (_, index) => ContentIndex.keyFor('acme', String(index).padStart(64, '0')));
  const calls = { list: 0, get: [] as string[] };
  const store = {
    description: 'memory://',
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      calls.list += 1;
      for (const key of keys) if (key.startsWith(prefix)) yield { key, size: 1 };
    },
    async get(key: string) {
      calls.get.push(key);
      if (!keys.includes(key)) return undefined;
      const sha256 = key.slice(key.lastIndexOf('/') + 1, -'.json'.length);
      return Readable.from([JSON.stringify({ version: 1, provider: 'acme', sha256, path: `in/${sha256}`, size: 1, mtimeMs: 1, jobId: 'j', ingestedAt: 'then' })]);
    },
    async putSmallIfAbsent(key: string) {
      keys.push(key);
      return true;
    },
  } as unknown as ObjectStore;
  return { store, calls };
}

const sha = (n: number) => String(n).padStart(64, '0');

describe(ContentIndex, () => {
  it('when listed for a run, should read only entries the listing holds or this run added', async () => {
    const { store, calls } = indexStore(3);
    const index = new ContentIndex(store, 'acme');
    await index.listFor(100);
    expect(calls.list).toBe(1);
    expect(await index.find(sha(99))).toBeUndefined();
    expect(calls.get).toEqual([]);
    expect((await index.find(sha(1)))?.path).toBe(`in/${sha(1)}`);
    expect(calls.get).toEqual([ContentIndex.keyFor('acme', sha(1))]);
    // Bytes this run landed are looked up again: a resend of them later in the run is found.
    await index.remember({ path: 'in/new.csv', size: 1, mtimeMs: 1 }, sha(7), 'j');
    await index.find(sha(7));
    expect(calls.get).toEqual([ContentIndex.keyFor('acme', sha(1)), ContentIndex.keyFor('acme', sha(7))]);
    // After the run, every lookup reads the store again.
    index.forget();
    await index.find(sha(99));
    expect(calls.get.at(-1)).toBe(ContentIndex.keyFor('acme', sha(99)));
  });

  it('when the listing would cost more than a quarter of the files’ reads, should read each file’s entry as before', async () => {
    const { store, calls } = indexStore(2_001);
    const index = new ContentIndex(store, 'acme');
    // 8 files allow 2 pages of 1,000 entries: the index needs 3.
    await index.listFor(8);
    await index.find(sha(5_000));
    expect(calls.get).toEqual([ContentIndex.keyFor('acme', sha(5_000))]);
    // Fewer than 4 files: not even listed.
    calls.list = 0;
    await index.listFor(3);
    expect(calls.list).toBe(0);
  });
});
