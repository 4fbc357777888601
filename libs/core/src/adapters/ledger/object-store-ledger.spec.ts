import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../local/local-object-store.js';
import type { ObjectInfo, ObjectStore } from '../../ports/object-store.js';
import { ObjectStoreLedger } from './object-store-ledger.js';

/** A store that counts calls, to prove pending() costs only listings. */
function countingStore(keys: string[]) {
  const calls = { list: 0, get: 0 };
  const store = {
    description: 'memory://',
    async *list(prefix: string): AsyncIterable<ObjectInfo> {
      calls.list += 1;
      for (const key of keys.filter((k) => k.startsWith(prefix))) yield { key, size: 1 };
    },
    async get() {
      calls.get += 1;
      return undefined;
    },
    async putSmall(key: string) {
      keys.push(key);
    },
  } as unknown as ObjectStore;
  return { store, calls };
}

describe(ObjectStoreLedger, () => {
  it('should find pending files from one listing, without reading any record', async () => {
    const files = Array.from({ length: 500 }, (_, i) => ({ path: `in/f${i}.csv`, size: i, mtimeMs: 1_700_000_000_000 + i }));
    const done = files.filter((_, i) => i % 2 === 0).map((file) => ObjectStoreLedger.keyFor('acme', file));
    const { store, calls } = countingStore(done);
    const pending = await new ObjectStoreLedger(store).pending('acme', files);
    expect(pending.map((f) => f.path)).toEqual(files.filter((_, i) => i % 2 === 1).map((f) => f.path));
    expect(calls).toEqual({ list: 1, get: 0 });
  });

  it('should list only the paths of a few files, however many records the ledger holds', async () => {
    const others = Array.from({ length: 3000 }, (_, i) => ObjectStoreLedger.keyFor('acme', { path: `old/f${i}.csv`, size: i, mtimeMs: i }));
    const done = { path: 'in/done.csv', size: 7, mtimeMs: 7000 };
    const fresh = { path: 'in/fresh.csv', size: 8, mtimeMs: 8000 };
    const keys = [...others, ObjectStoreLedger.keyFor('acme', done), ObjectStoreLedger.keyFor('acme', { ...fresh, size: 9 })];
    const prefixes: string[] = [];
    const store = {
      description: 'memory://',
      async *list(prefix: string): AsyncIterable<ObjectInfo> {
        prefixes.push(prefix);
        for (const key of keys) if (key.startsWith(prefix)) yield { key, size: 1 };
      },
    } as unknown as ObjectStore;
    const ledger = new ObjectStoreLedger(store);
    expect((await ledger.pending('acme', [done, fresh])).map((file) => file.path)).toEqual(['in/fresh.csv']);
    expect(prefixes.sort()).toEqual([ObjectStoreLedger.pathPrefix('acme', 'in/done.csv'), ObjectStoreLedger.pathPrefix('acme', 'in/fresh.csv')].sort());
    // Five files: one listing of the whole ledger.
    prefixes.length = 0;
    const five = Array.from({ length: 5 }, (_, i) => ({ path: `new/f${i}.csv`, size: i, mtimeMs: i }));
    expect(await ledger.pending('acme', five)).toHaveLength(5);
    expect(prefixes).toEqual(['_octo/ledger/acme/']);
  });

  it('should treat a changed size or mtime as a new file', async () => {
    const file = { path: 'a.csv', size: 10, mtimeMs: 1000 };
    const { store } = countingStore([ObjectStoreLedger.keyFor('acme', file)]);
    const ledger = new ObjectStoreLedger(store);
    expect(await ledger.pending('acme', [file])).toEqual([]);
    expect(await ledger.pending('acme', [{ ...file, size: 11 }])).toHaveLength(1);
    expect(await ledger.pending('acme', [{ ...file, mtimeMs: 2000 }])).toHaveLength(1);
    expect(await ledger.pending('other', [file])).toHaveLength(1);
  });

  it('should write a record under the key pending() looks for', async () => {
    const keys: string[] = [];
    const { store } = countingStore(keys);
    const ledger = new ObjectStoreLedger(store);
    const file = { path: 'dir/b.csv', size: 5, mtimeMs: 1234.7 };
    await ledger.record({ provider: 'acme', ...file, sha256: 'ab', outputs: [], jobId: 'j', ingestedAt: 'now' });
    expect(keys).toEqual([ObjectStoreLedger.keyFor('acme', file)]);
    expect(keys[0]).toMatch(/^_octo\/ledger\/acme\/[0-9a-f]{40}-5-1234\.json$/);
    expect(await ledger.pending('acme', [file])).toEqual([]);
  });

  it('should find every delivery of one source path, oldest first, and no other path’s', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'octo-ledger-'));
    try {
      const ledger = new ObjectStoreLedger(new LocalObjectStore(root));
      const base = { provider: 'acme', sha256: 'ab', outputs: [], jobId: 'j' };
      await ledger.record({ ...base, path: 'in/a.csv', size: 2, mtimeMs: 2000, ingestedAt: '2026-11-02T00:00:00.000Z' });
      await ledger.record({ ...base, path: 'in/a.csv', size: 1, mtimeMs: 1000, ingestedAt: '2026-11-01T00:00:00.000Z' });
      await ledger.record({ ...base, path: 'in/b.csv', size: 1, mtimeMs: 1000, ingestedAt: '2026-11-01T00:00:00.000Z' });
      const found = await ledger.recordsFor('acme', 'in/a.csv');
      expect(found.map(({ key, record }) => [key, record.size])).toEqual([
        [ObjectStoreLedger.keyFor('acme', { path: 'in/a.csv', size: 1, mtimeMs: 1000 }), 1],
        [ObjectStoreLedger.keyFor('acme', { path: 'in/a.csv', size: 2, mtimeMs: 2000 }), 2],
      ]);
      expect(await ledger.recordsFor('acme', 'in/c.csv')).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('should read only the records written within a window (with slack for clocks), each once', async () => {
    const written = new Date('2026-11-02T06:00:00.000Z');
    const keys = ['a', 'b', 'c'].map((name, i) => ObjectStoreLedger.keyFor('acme', { path: `in/${name}.csv`, size: i, mtimeMs: i }));
    const gets: string[] = [];
    const store = {
      description: 'memory://',
      async *list(prefix: string): AsyncIterable<ObjectInfo> {
        for (const [i, key] of keys.entries()) if (key.startsWith(prefix)) yield { key, size: 1, lastModified: new Date(written.getTime() + i * 86_400_000) };
      },
      async get(key: string) {
        gets.push(key);
        const { Readable } = await import('node:stream');
        return Readable.from([JSON.stringify({ provider: 'acme', path: key, ingestedAt: written.toISOString() })]);
      },
    } as unknown as ObjectStore;
    const ledger = new ObjectStoreLedger(store);
    const read = async (window: { since?: Date; until?: Date }) => {
      gets.length = 0;
      const out: string[] = [];
      for await (const record of ledger.records('acme', window)) out.push(record.path);
      return out;
    };
    // Written a day apart: a window on the middle day reads only the middle record.
    expect(await read({ since: new Date('2026-11-03T00:00:00Z'), until: new Date('2026-11-03T23:00:00Z') })).toEqual([keys[1]]);
    expect(gets).toEqual([keys[1]]);
    // Five minutes of clock skew is within the slack: a record stamped just past `until` is still read.
    expect(await read({ until: new Date(written.getTime() - 5 * 60_000) })).toEqual([keys[0]]);
    expect((await read({})).sort()).toEqual([...keys].sort());
  });

  describe('when a file pending() returned is asked for its earlier deliveries', () => {
    it('should answer from the listing, without a request, when its path had no record', async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'octo-ledger-'));
      try {
        const local = new LocalObjectStore(root);
        const lists: string[] = [];
        const store = Object.assign(Object.create(local) as ObjectStore, {
          list: (prefix: string) => {
            lists.push(prefix);
            return local.list(prefix);
          },
        });
        const ledger = new ObjectStoreLedger(store);
        const base = { provider: 'acme', sha256: 'ab', outputs: [], jobId: 'j', ingestedAt: '2026-11-01T00:00:00.000Z' };
        await ledger.record({ ...base, path: 'in/resent.csv', size: 1, mtimeMs: 1000 });
        const [fresh, resent] = await ledger.pending('acme', [
          { path: 'in/fresh.csv', size: 3, mtimeMs: 3000 },
          { path: 'in/resent.csv', size: 2, mtimeMs: 2000 },
        ]);
        lists.length = 0;
        expect(await ledger.recordsOfListed('acme', fresh!)).toEqual([]);
        expect(lists).toEqual([]);
        // A path with a record is listed as before: its earlier delivery is found.
        expect((await ledger.recordsOfListed('acme', resent!)).map(({ record }) => record.size)).toEqual([1]);
        expect(lists).toEqual([ObjectStoreLedger.pathPrefix('acme', 'in/resent.csv')]);
        // A file that pending() did not return (another process's, a copy) is listed too.
        lists.length = 0;
        expect(await ledger.recordsOfListed('acme', { ...fresh! })).toEqual([]);
        expect(lists).toEqual([ObjectStoreLedger.pathPrefix('acme', 'in/fresh.csv')]);
        // Once this ledger recorded the path, the listing no longer speaks for it.
        await ledger.record({ ...base, path: 'in/fresh.csv', size: 3, mtimeMs: 3000 });
        lists.length = 0;
        expect((await ledger.recordsOfListed('acme', fresh!)).map(({ record }) => record.size)).toEqual([3]);
        expect(lists).toHaveLength(1);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  });
});
