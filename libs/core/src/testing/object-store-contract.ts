import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { OctoError } from '../errors/octo-error.js';
import type { ObjectInfo, ObjectMetadata, ObjectStore, OpenStagedState } from '../ports/object-store.js';
import { octoFailure } from './expect-failure.js';

/** How a contract run gets stores of one adapter, and how it looks behind the port where the port cannot. */
export interface ObjectStoreHarness {
  /** A store over a fresh, empty bucket (or bucket folder), reachable. */
  create(): Promise<ObjectStore>;
  /** The user metadata a landed object carries, for stores that keep it (the port promises it only to stores that do). */
  metadataOf?(store: ObjectStore, key: string): Promise<Record<string, string>>;
  /** The tags of a landed object, for stores that implement {@link ObjectStore.tag}. */
  tagsOf?(store: ObjectStore, key: string): Promise<Record<string, string>>;
  /** Releases what `create` made (clients, folders); called once after the suite. */
  dispose?(): Promise<void>;
  /**
   * Outputs smaller than this are held by the process until commit (S3's whole puts), so a dead
   * run's are gone: the dead-run cases stage outputs of this size, and check the smaller are missing.
   */
  readonly durableFromBytes?: number;
}

/** The message every store gives for a commit after abort: the outputs are gone, nothing may land. */
export const COMMIT_AFTER_ABORT = 'staging already aborted: its outputs were dropped, there is nothing to commit';

const bytes = (text: string) => Buffer.from(text, 'utf8');
/** A body in two chunks of Buffers, as the unpacker hands them over. */
const body = (data: Buffer) => Readable.from([data.subarray(0, data.length >> 1), data.subarray(data.length >> 1)]);
const hex = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function listed(store: ObjectStore, prefix = ''): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of store.list(prefix)) out.push(info);
  return out;
}

const keysOf = async (store: ObjectStore, prefix = '') => (await listed(store, prefix)).map((info) => info.key);

async function read(store: ObjectStore, key: string): Promise<string | undefined> {
  const stream = await store.get(key);
  return stream ? (await buffer(stream)).toString('utf8') : undefined;
}

async function openStaged(store: ObjectStore): Promise<OpenStagedState[]> {
  const out: OpenStagedState[] = [];
  for await (const state of store.openStaged()) out.push(state);
  return out;
}

/**
 * The cases every {@link ObjectStore} adapter must pass the same way (as rclone's fstests run
 * every backend), through the port alone: staged puts invisible until commit, commit and abort
 * and rollback and their repeats, conditional creates, listings, reads of missing keys, staged
 * state of dead runs. Run it from each adapter's spec with a harness that makes fresh stores.
 */
export function objectStoreContract(adapter: string, harness: ObjectStoreHarness): void {
  describe(`${adapter} (ObjectStore contract)`, () => {
    afterAll(async () => {
      await harness.dispose?.();
    });

    describe('when a staging puts outputs', () => {
      it('should keep them invisible until commit, then land every byte under its key, in key order', async () => {
        const store = await harness.create();
        const staging = store.begin();
        const report = bytes('id,amount\n1,10.00\n');
        const staged = await staging.put('data/csv/p/report.csv', body(report), { 'octo-provider': 'p' });
        await staging.put('data/xml/p/a.xml', body(bytes('<a/>')));
        await staging.put('data/other/p/empty.txt', Readable.from([]));
        expect(staged).toEqual({ key: 'data/csv/p/report.csv', size: report.length, sha256: hex(report) });
        expect(await keysOf(store)).toEqual([]);
        expect(await store.get('data/csv/p/report.csv')).toBeUndefined();

        await staging.commit();
        const infos = await listed(store);
        expect(infos.map(({ key, size }) => [key, size])).toEqual([
          ['data/csv/p/report.csv', report.length],
          ['data/other/p/empty.txt', 0],
          ['data/xml/p/a.xml', 4],
        ]);
        expect(await read(store, 'data/csv/p/report.csv')).toBe(report.toString('utf8'));
        expect(await read(store, 'data/other/p/empty.txt')).toBe('');
        expect(await openStaged(store)).toEqual([]);
      });

      it('should list the handle of every staged output before commit', async () => {
        const store = await harness.create();
        const staging = store.begin();
        await staging.put('a/one.txt', body(bytes('one')));
        await staging.put('a/two.txt', body(bytes('two!')), {}, { ifAbsent: true });
        const refs = staging.refs();
        expect(refs.map(({ key, size, sha256, ifAbsent }) => ({ key, size, sha256, ifAbsent }))).toEqual([
          { key: 'a/one.txt', size: 3, sha256: hex(bytes('one')), ifAbsent: undefined },
          { key: 'a/two.txt', size: 4, sha256: hex(bytes('two!')), ifAbsent: true },
        ]);
        for (const ref of refs) expect(ref.ref.length).toBeGreaterThan(0);
        await staging.abort();
      });

      it('should land only the outputs not discarded', async () => {
        const store = await harness.create();
        const staging = store.begin();
        await staging.put('a/keep.txt', body(bytes('keep')));
        await staging.put('a/drop.txt', body(bytes('drop')));
        await staging.discard('a/drop.txt');
        await staging.commit();
        expect(await keysOf(store)).toEqual(['a/keep.txt']);
        expect(await openStaged(store)).toEqual([]);
      });

      it('should land the last bytes put at a key when one staging puts it twice', async () => {
        const store = await harness.create();
        const staging = store.begin();
        await staging.put('a/twice.txt', body(bytes('first')));
        await staging.put('a/twice.txt', body(bytes('second')));
        expect(staging.refs().map((ref) => [ref.key, ref.size])).toEqual([['a/twice.txt', 6]]);
        await staging.commit();
        expect(await read(store, 'a/twice.txt')).toBe('second');
        expect(await openStaged(store)).toEqual([]);
      });

      it('when its body fails, should reject with the body\'s own error and leave nothing once aborted', async () => {
        const store = await harness.create();
        const staging = store.begin();
        const failing = new Readable({
          read() {
            // The case pushes the bytes itself, then fails the body.
          },
        });
        failing.push(Buffer.alloc(64 * 1024, 7));
        setTimeout(() => failing.destroy(new OctoError('unpack', 'x.csv.gz: unexpected end of the gzip stream')), 20);
        const error = await octoFailure(staging.put('a/broken.csv', failing));
        expect([error.kind, error.message]).toEqual(['unpack', 'x.csv.gz: unexpected end of the gzip stream']);
        await staging.abort();
        expect(await keysOf(store)).toEqual([]);
        expect(await openStaged(store)).toEqual([]);
      });

      it('should refuse a key that could leave the bucket, before writing anything', async () => {
        const store = await harness.create();
        for (const key of ['../outside', '/absolute', 'a//b', 'a/./b']) {
          const error = await octoFailure(store.begin().put(key, body(bytes('x'))));
          expect([error.kind, error.message]).toEqual(['unsafe', `object key "${key}" is not a safe relative key`]);
        }
        expect(await keysOf(store)).toEqual([]);
      });

      // Only stores that keep metadata can show it back (the local store keeps none).
      const { metadataOf } = harness;
      if (metadataOf) {
        it('should keep the metadata it was given with a landed object', async () => {
          const store = await harness.create();
          const staging = store.begin();
          const metadata: ObjectMetadata = { 'octo-provider': 'p', 'octo-source-path': encodeURIComponent('in/r.csv.gpg'), 'octo-job-id': 'job-1' };
          await staging.put('a/meta.csv', body(bytes('m')), metadata);
          await staging.commit();
          expect(await metadataOf(store, 'a/meta.csv')).toEqual(metadata);
        });
      }
    });

    describe('when a staging is committed or aborted again', () => {
      it('should treat a second commit as done: it resolves and changes nothing', async () => {
        const store = await harness.create();
        const staging = store.begin({ runId: 'contract-run-1' });
        await staging.put('a/once.txt', body(bytes('once')));
        await staging.commit();
        await staging.commit();
        expect(await keysOf(store, 'a/')).toEqual(['a/once.txt']);
        expect(await read(store, 'a/once.txt')).toBe('once');
        expect(await openStaged(store)).toEqual([]);
      });

      it('should refuse a put after commit or abort', async () => {
        const store = await harness.create();
        const committed = store.begin();
        await committed.commit();
        const aborted = store.begin();
        await aborted.abort();
        for (const staging of [committed, aborted]) {
          const error = await octoFailure(staging.put('a/late.txt', body(bytes('late'))));
          expect([error.kind, error.message]).toEqual(['internal', 'staging already committed or aborted']);
        }
        expect(await keysOf(store)).toEqual([]);
      });

      it('should refuse a commit after abort, landing nothing', async () => {
        const store = await harness.create();
        const staging = store.begin();
        await staging.put('a/gone.txt', body(bytes('gone')));
        await staging.abort();
        const error = await octoFailure(staging.commit());
        expect([error.kind, error.message]).toEqual(['internal', COMMIT_AFTER_ABORT]);
        expect(await keysOf(store)).toEqual([]);
        expect(await openStaged(store)).toEqual([]);
      });

      it('should keep what a commit landed when abort follows it', async () => {
        const store = await harness.create();
        const staging = store.begin();
        await staging.put('a/kept.txt', body(bytes('kept')));
        await staging.commit();
        await staging.abort();
        expect(await read(store, 'a/kept.txt')).toBe('kept');
      });

      it('should remove what a commit landed on rollback, and refuse to commit after it', async () => {
        const store = await harness.create();
        await store.putSmall('a/other.txt', 'not this staging’s');
        const staging = store.begin();
        await staging.put('a/one.txt', body(bytes('one')));
        await staging.put('a/two.txt', body(bytes('two')));
        await staging.commit();
        await staging.rollback();
        expect(await keysOf(store, 'a/')).toEqual(['a/other.txt']);
        const error = await octoFailure(staging.commit());
        expect([error.kind, error.message]).toEqual(['internal', 'staging already rolled back']);
        expect(await keysOf(store, 'a/')).toEqual(['a/other.txt']);
      });
    });

    describe('when a put may only create its key (ifAbsent)', () => {
      it('should land it where the key is free', async () => {
        const store = await harness.create();
        const staging = store.begin();
        await staging.put('a/new.txt', body(bytes('new')), {}, { ifAbsent: true });
        await staging.commit();
        expect(await read(store, 'a/new.txt')).toBe('new');
      });

      it('should refuse the commit where the key holds an object, keep that object, and stay refused on retry', async () => {
        const store = await harness.create();
        await store.putSmall('a/taken.txt', 'the first owner');
        const staging = store.begin();
        await staging.put('a/taken.txt', body(bytes('a newcomer')), {}, { ifAbsent: true });
        const expected = [
          'route',
          'a/taken.txt already holds an object that no source owns (landed before key ownership, or written by another tool); the file failed rather than replace it: move or delete that object and the file lands on the next run',
        ];
        const error = await octoFailure(staging.commit());
        expect([error.kind, error.message]).toEqual(expected);
        const retried = await octoFailure(staging.commit());
        expect([retried.kind, retried.message]).toEqual(expected);
        await staging.rollback();
        expect(await keysOf(store)).toEqual(['a/taken.txt']);
        expect(await read(store, 'a/taken.txt')).toBe('the first owner');
        expect(await openStaged(store)).toEqual([]);
      });
    });

    describe('when small objects are written directly', () => {
      it('should show a putSmall at once, and replace it with the next', async () => {
        const store = await harness.create();
        await store.putSmall('_octo/ledger/p/1.json', '{"v":1}');
        expect(await read(store, '_octo/ledger/p/1.json')).toBe('{"v":1}');
        await store.putSmall('_octo/ledger/p/1.json', Buffer.from('{"v":2}'));
        expect(await read(store, '_octo/ledger/p/1.json')).toBe('{"v":2}');
        expect(await keysOf(store)).toEqual(['_octo/ledger/p/1.json']);
      });

      it('should create with putSmallIfAbsent exactly once: of ten racing writers one wins, and its bytes stay', async () => {
        const store = await harness.create();
        const results = await Promise.all(Array.from({ length: 10 }, (_, index) => store.putSmallIfAbsent('_octo/owners/k.json', `writer ${index}`)));
        const winners = results.flatMap((created, index) => (created ? [index] : []));
        expect(winners).toHaveLength(1);
        expect(await read(store, '_octo/owners/k.json')).toBe(`writer ${winners[0]}`);
        expect(await store.putSmallIfAbsent('_octo/owners/k.json', 'late')).toBe(false);
        expect(await read(store, '_octo/owners/k.json')).toBe(`writer ${winners[0]}`);
        expect(await keysOf(store)).toEqual(['_octo/owners/k.json']);
      });
    });

    describe('when listing, reading and deleting', () => {
      it('should list exactly the keys that start with the prefix, in key order, with their sizes', async () => {
        const store = await harness.create();
        for (const key of ['b/z.txt', 'a/bc.txt', 'a/b/c.txt', 'a/b.txt', 'ab.txt', 'a/b/d/e.txt']) await store.putSmall(key, key);
        expect((await listed(store, 'a/b')).map(({ key, size }) => [key, size])).toEqual([
          ['a/b.txt', 7],
          ['a/b/c.txt', 9],
          ['a/b/d/e.txt', 11],
          ['a/bc.txt', 8],
        ]);
        expect(await keysOf(store, 'a/b/')).toEqual(['a/b/c.txt', 'a/b/d/e.txt']);
        expect(await keysOf(store, 'nothing/')).toEqual([]);
        expect(await keysOf(store)).toEqual(['a/b.txt', 'a/b/c.txt', 'a/b/d/e.txt', 'a/bc.txt', 'ab.txt', 'b/z.txt']);
      });

      it('should give undefined for a missing key, and refuse an unsafe one', async () => {
        const store = await harness.create();
        expect(await store.get('no/such.txt')).toBeUndefined();
        const error = await octoFailure(store.get('../escape'));
        expect([error.kind, error.message]).toEqual(['unsafe', 'object key "../escape" is not a safe relative key']);
      });

      it('should delete an object, and accept a key that is already gone', async () => {
        const store = await harness.create();
        await store.putSmall('a/x.json', '{}');
        await store.putSmall('a/y.json', '{}');
        await store.delete('a/x.json');
        await store.delete('a/x.json');
        await store.delete('never/was.json');
        expect(await keysOf(store)).toEqual(['a/y.json']);
        expect(await store.get('a/x.json')).toBeUndefined();
      });

      const { tagsOf } = harness;
      if (tagsOf) {
        it('should tag a landed object with exactly the tags given', async () => {
          const store = await harness.create();
          await store.putSmall('a/tagged.txt', 'x');
          await store.tag?.('a/tagged.txt', { 'octo-source-sha256': hex(bytes('source')), 'octo-provider': 'p' });
          expect(await tagsOf(store, 'a/tagged.txt')).toEqual({ 'octo-source-sha256': hex(bytes('source')), 'octo-provider': 'p' });
        });
      } else {
        it('should not offer tags when the harness has no way to read them back', async () => {
          expect((await harness.create()).tag).toBeUndefined();
        });
      }

      it('should pass its check when the bucket is reachable', async () => {
        const store = await harness.create();
        await expect(store.check()).resolves.toBeUndefined();
      });
    });

    describe('when a run died with outputs staged', () => {
      const size = harness.durableFromBytes ?? 0;
      /** `text` padded to the size whose staged bytes outlive the process. */
      const durable = (text: string) => Buffer.concat([bytes(text), Buffer.alloc(Math.max(0, size - text.length), 0x2e)]);
      const readDurable = async (store: ObjectStore, key: string) => (await read(store, key))?.replace(/\.+$/, '');

      if (size > 0) {
        it('should name a dead run\'s output held only in memory as missing, never land it', async () => {
          const store = await harness.create();
          const dead = store.begin({ runId: 'dead-run-0' });
          await dead.put('a/small.txt', body(bytes('small')));
          const { missing } = await store.resume(dead.refs(), { runId: 'dead-run-0' });
          expect(missing).toEqual(['a/small.txt']);
          expect(await keysOf(store, 'a/')).toEqual([]);
        });
      }

      it('should reopen them from their handles and land the same bytes through the normal commit', async () => {
        const store = await harness.create();
        const dead = store.begin({ runId: 'dead-run-1' });
        await dead.put('a/one.txt', body(durable('one')));
        await dead.put('a/two.txt', body(durable('two')), {}, { ifAbsent: true });
        const refs = dead.refs();
        const { staging, missing } = await store.resume(refs, { runId: 'dead-run-1' });
        expect(missing).toEqual([]);
        expect(staging.refs().map(({ key, size, sha256 }) => [key, size, sha256])).toEqual(refs.map(({ key, size, sha256 }) => [key, size, sha256]));
        await staging.commit();
        expect(await readDurable(store, 'a/one.txt')).toBe('one');
        expect(await readDurable(store, 'a/two.txt')).toBe('two');
        expect(await openStaged(store)).toEqual([]);
      });

      it('should name the outputs whose staged bytes are gone as missing', async () => {
        const store = await harness.create();
        const dead = store.begin({ runId: 'dead-run-2' });
        await dead.put('a/lost.txt', body(durable('lost')));
        const refs = dead.refs();
        await dead.abort();
        const { staging, missing } = await store.resume(refs, { runId: 'dead-run-2' });
        expect(missing).toEqual(['a/lost.txt']);
        expect(staging.refs()).toEqual([]);
        await staging.rollback();
        expect(await keysOf(store)).toEqual([]);
      });

      it('should count an output already visible as committed, and roll it back on request', async () => {
        const store = await harness.create();
        const dead = store.begin({ runId: 'dead-run-3' });
        await dead.put('a/landed.txt', body(durable('landed')));
        const refs = dead.refs();
        await dead.commit();
        const { staging, missing } = await store.resume(refs, { runId: 'dead-run-3' });
        expect(missing).toEqual([]);
        await staging.commit();
        expect(await readDurable(store, 'a/landed.txt')).toBe('landed');
        await staging.rollback();
        expect(await keysOf(store, 'a/')).toEqual([]);
      });

      it('should list its staged state with the run as owner, and drop it so nothing of it lands', async () => {
        const store = await harness.create();
        const dead = store.begin({ runId: 'dead-run-4' });
        await dead.put('a/orphan.txt', body(durable('orphan')));
        const found = await openStaged(store);
        expect(found.length).toBeGreaterThan(0);
        expect(found.map((state) => state.owner?.runId)).toEqual(found.map(() => 'dead-run-4'));
        for (const state of found) await store.dropStaged(state);
        expect(await openStaged(store)).toEqual([]);
        expect(await keysOf(store, 'a/')).toEqual([]);
        const { missing } = await store.resume(dead.refs(), { runId: 'dead-run-4' });
        expect(missing).toEqual(['a/orphan.txt']);
      });
    });
  });
}
