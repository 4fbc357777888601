import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { listFiles, sha256 } from '../../testing/files.js';
import { LocalObjectStore } from './local-object-store.js';

async function store() {
  const root = await mkdtemp(path.join(tmpdir(), 'octo-store-'));
  return { root, store: new LocalObjectStore(root) };
}

async function keys(s: LocalObjectStore, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for await (const object of s.list(prefix)) out.push(object.key);
  return out;
}

describe(LocalObjectStore, () => {
  it('should keep staged objects invisible until commit, then show them all', async () => {
    const { store: s } = await store();
    const staging = s.begin();
    const a = await staging.put('data/csv/p/a.csv', Readable.from(['a,b\n']));
    await staging.put('data/xml/p/b.xml', Readable.from(['<b/>']));
    expect(a).toEqual({ key: 'data/csv/p/a.csv', size: 4, sha256: sha256('a,b\n') });
    expect(await keys(s)).toEqual([]);
    expect(await s.get('data/csv/p/a.csv')).toBeUndefined();
    await staging.commit();
    expect(await keys(s)).toEqual(['data/csv/p/a.csv', 'data/xml/p/b.xml']);
    expect(await text((await s.get('data/csv/p/a.csv'))!)).toBe('a,b\n');
  });

  it('when aborted, should leave no object and no temp file', async () => {
    const { root, store: s } = await store();
    const staging = s.begin();
    await staging.put('data/csv/p/a.csv', Readable.from(['x']));
    await staging.abort();
    expect(await listFiles(root)).toEqual([]);
  });

  it('when the body fails mid-way, should remove what it wrote', async () => {
    const { root, store: s } = await store();
    const staging = s.begin();
    const body = new Readable({
      read() {
        // Data is pushed by the test below.
      },
    });
    body.push('partial');
    setImmediate(() => body.destroy(new Error('connection reset')));
    await expect(staging.put('data/csv/p/a.csv', body)).rejects.toThrow('connection reset');
    await staging.abort();
    expect(await listFiles(root)).toEqual([]);
  });

  it('should drop a discarded object and commit the rest', async () => {
    const { store: s } = await store();
    const staging = s.begin();
    await staging.put('data/pdf/p/keep.pdf', Readable.from(['k']));
    await staging.put('data/pdf/p/drop.pdf', Readable.from(['d']));
    await staging.discard('data/pdf/p/drop.pdf');
    await staging.commit();
    expect(await keys(s)).toEqual(['data/pdf/p/keep.pdf']);
  });

  it('should refuse keys that leave the bucket', async () => {
    const { store: s } = await store();
    await expect(s.begin().put('../outside', Readable.from(['x']))).rejects.toThrow('object key "../outside" is not a safe relative key');
    await expect(s.putSmall('/abs', 'x')).rejects.toThrow('is not a safe relative key');
  });

  it('should list by prefix', async () => {
    const { store: s } = await store();
    await s.putSmall('_octo/ledger/p/1.json', '{}');
    await s.putSmall('data/csv/p/a.csv', 'a');
    expect(await keys(s, '_octo/')).toEqual(['_octo/ledger/p/1.json']);
  });

  describe('putSmallIfAbsent', () => {
    it('should let exactly one of many racing writers create the key, and keep that writer’s bytes', async () => {
      const { root, store: s } = await store();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.putSmallIfAbsent('_octo/owners/p/k/00000001.json', `writer ${i}`)));
      const winners = results.flatMap((created, i) => (created ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await text((await s.get('_octo/owners/p/k/00000001.json'))!)).toBe(`writer ${winners[0]}`);
      // No temp file of a losing writer stays behind.
      expect(await listFiles(root)).toEqual(['_octo/owners/p/k/00000001.json']);
    });

    it('should not replace an object that putSmall wrote', async () => {
      const { store: s } = await store();
      await s.putSmall('a/b.json', 'first');
      expect(await s.putSmallIfAbsent('a/b.json', 'second')).toBe(false);
      expect(await text((await s.get('a/b.json'))!)).toBe('first');
    });
  });

  it('should delete an object, and accept a key that is already gone', async () => {
    const { store: s } = await store();
    await s.putSmall('a/b.json', 'x');
    await s.delete('a/b.json');
    await s.delete('a/b.json');
    expect(await keys(s)).toEqual([]);
  });
});
