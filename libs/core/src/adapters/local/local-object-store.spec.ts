import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { octoFailure } from '../../testing/expect-failure.js';
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

  describe('when a key does not fit a local folder', () => {
    it('should refuse a name part over 255 bytes before writing anything', async () => {
      const { root, store: s } = await store();
      const error = await octoFailure(s.begin().put(`data/csv/p/${'é'.repeat(128)}.csv`, Readable.from(['x'])));
      expect(error.kind).toBe('store');
      expect(error.message).toContain('has a name part of 260 bytes, more than the 255 a local filesystem allows');
      expect(await listFiles(root)).toEqual([]);
    });

    it('should refuse a key over 1024 bytes (the S3 limit, kept by both stores)', async () => {
      const { store: s } = await store();
      const key = `data/${Array.from({ length: 30 }, () => 'f'.repeat(40)).join('/')}.csv`;
      const error = await octoFailure(s.begin().put(key, Readable.from(['x'])));
      expect(error.kind).toBe('store');
      expect(error.message).toContain(`is ${Buffer.byteLength(key)} bytes long, more than the 1024 an object key may have`);
    });

    it('should refuse a file where the bucket has a folder of that name', async () => {
      const { store: s } = await store();
      await s.putSmall('data/other/p/a/b', 'inside');
      const error = await octoFailure(s.begin().put('data/other/p/a', Readable.from(['file'])));
      expect(error.kind).toBe('store');
      expect(error.message).toBe(
        'the key data/other/p/a cannot be stored: the bucket already holds objects under data/other/p/a/, and a local bucket folder cannot also have a file of that name; rename one of them at the provider or change the folder rule',
      );
    });

    it('should check again at commit, before anything is visible, when another staging landed a clashing key', async () => {
      const { root, store: s } = await store();
      const first = s.begin();
      const second = s.begin();
      await first.put('data/other/p/a', Readable.from(['file']));
      await second.put('data/other/p/ok.csv', Readable.from(['ok']));
      await second.put('data/other/p/a/b', Readable.from(['inside']));
      await first.commit();
      const error = await octoFailure(second.commit());
      expect(error.kind).toBe('store');
      expect(error.message).toContain('the key data/other/p/a/b cannot be stored: the bucket already holds an object data/other/p/a');
      await second.abort();
      expect(await keys(s)).toEqual(['data/other/p/a']);
      expect(await listFiles(root)).toEqual(['data/other/p/a']);
    });

    it('should name a failed direct write by its key and code, without the bucket folder\'s path', async () => {
      const { root, store: s } = await store();
      await s.putSmall('_octo/x', 'a file');
      for (const write of [() => s.putSmall('_octo/x/y.json', '{}'), () => s.putSmallIfAbsent('_octo/x/y.json', '{}')]) {
        const error = await octoFailure(write());
        expect(error.kind).toBe('store');
        expect(error.message).toMatch(/^cannot write _octo\/x\/y\.json in the bucket folder: .* \((EEXIST|ENOTDIR), mkdir\)$/);
        expect(error.message).not.toContain(root);
      }
    });
  });
});
