import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { TYPES } from '../ports/identifiers.js';
import type { JobSummary } from '../ports/job-events.js';
import type { OctoRuntime } from '../app/octo-runtime.js';
import { listFiles } from '../testing/files.js';
import { encryptBytes, generateTestKey } from '../testing/pgp-fixtures.js';
import { createTempWorkspace, overridingProvider, type TempWorkspace } from '../testing/temp-workspace.js';
import { OctoError } from '../errors/octo-error.js';
import type { Unpacker } from '../ports/unpacker.js';
import { QuarantineBook } from './quarantine-book.js';

const workspaces: TempWorkspace[] = [];

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function workspace(providerConfig: Record<string, unknown> = {}, passphrase = 'open sesame'): Promise<TempWorkspace> {
  const w = await createTempWorkspace({ secrets: { 'pass.txt': passphrase }, providerConfig: { decryption: { passphrase: 'file:pass.txt' }, ...providerConfig } });
  workspaces.push(w);
  return w;
}

async function sync(w: TempWorkspace): Promise<JobSummary> {
  return (await (await w.runtime()).jobs.start('plain')).done;
}

async function book(runtime: OctoRuntime, after = 3): Promise<QuarantineBook> {
  const handle = await runtime.providers.create('plain');
  return new QuarantineBook(handle.container.get(TYPES.ObjectStore), 'plain', after);
}

/** A file whose bytes stop inside its gzip stream: it fails as unpack every run. */
const wholeGzip = gzipSync(Buffer.alloc(100_000, 'x'));
const truncatedGzip = wholeGzip.subarray(0, wholeGzip.length - 10);

/** Gives files distinct mtimes, oldest first, so `order: mtime` has something to tell. */
async function ageInOrder(dir: string, names: readonly string[]): Promise<void> {
  const base = Date.now() / 1000 - 3600;
  for (const [index, name] of names.entries()) await utimes(path.join(dir, name), base + index * 60, base + index * 60);
}

describe('repeated failures', () => {
  describe('when a file fails three runs', () => {
    it('should quarantine it on the third, skip it on the fourth saying so, and land it once released and fixed', async () => {
      const w = await workspace({}, 'not the passphrase');
      await writeFile(path.join(w.dropDir, 'statement.csv.gpg'), await encryptBytes(Buffer.from('id\n1\n'), { passphrase: 'open sesame' }));
      await writeFile(path.join(w.dropDir, 'good.csv'), 'id\n2\n');

      const first = await sync(w);
      expect(first.files.map((f) => [f.path, f.status])).toEqual([
        ['good.csv', 'done'],
        ['statement.csv.gpg', 'failed'],
      ]);
      const runtime = await w.runtime();
      expect((await (await book(runtime)).entries()).map((e) => [e.path, e.attempts, e.quarantined, e.lastKind])).toEqual([['statement.csv.gpg', 1, false, 'decrypt']]);
      expect((await sync(w)).failed).toBe(1);
      const third = await sync(w);
      expect(third.failed).toBe(1);
      expect(third.skipped).toBeUndefined();
      const [entry] = await (await book(runtime)).entries();
      expect(entry).toMatchObject({ path: 'statement.csv.gpg', attempts: 3, quarantined: true, lastKind: 'decrypt' });
      expect(entry?.lastReason).toContain('statement.csv.gpg');

      const fourth = await sync(w);
      expect(fourth).toMatchObject({ status: 'succeeded', total: 0, failed: 0, files: [] });
      expect(fourth.skipped).toEqual([
        {
          path: 'statement.csv.gpg',
          size: expect.any(Number),
          why: 'quarantined',
          reason: expect.stringMatching(/^quarantined after failing 3 runs \(last, \d{4}-.+Z: statement\.csv\.gpg is encrypted with a passphrase, and decryption\.passphrase \(file:pass\.txt\) .+\); fix it, then release it with octo retry plain statement\.csv\.gpg$/),
        },
      ]);
      // Fixed but not released: still skipped, still three attempts.
      await writeFile(path.join(w.dir, 'pass.txt'), 'open sesame');
      expect((await sync(w)).skipped?.map((s) => s.why)).toEqual(['quarantined']);
      expect((await (await book(runtime)).entries())[0]?.attempts).toBe(3);

      const released = await (await book(runtime)).release('statement.csv.gpg');
      expect(released.map((e) => [e.path, e.attempts])).toEqual([['statement.csv.gpg', 3]]);
      const landed = await sync(w);
      expect(landed.files.map((f) => [f.path, f.status])).toEqual([['statement.csv.gpg', 'done']]);
      expect(landed.skipped).toBeUndefined();
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/good.csv', 'csv/plain/statement.csv']);
      expect(await listFiles(path.join(w.bucketDir, '_octo/quarantine'))).toEqual([]);
    });

    it('should take the file again when it changes, as a new delivery counted from one', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'bad.csv.gz'), truncatedGzip);
      for (let run = 0; run < 3; run += 1) await sync(w);
      expect((await sync(w)).skipped?.map((s) => [s.path, s.why])).toEqual([['bad.csv.gz', 'quarantined']]);

      // Another size: a new delivery, not the quarantined one.
      await writeFile(path.join(w.dropDir, 'bad.csv.gz'), wholeGzip.subarray(0, wholeGzip.length - 20));
      const again = await sync(w);
      expect(again.files.map((f) => [f.path, f.status])).toEqual([['bad.csv.gz', 'failed']]);
      expect(again.skipped).toBeUndefined();
      expect((await (await book(await w.runtime())).entries()).map((e) => [e.attempts, e.size])).toEqual([[1, wholeGzip.length - 20]]);
    });

    it('should forget the failures of a file once it lands', async () => {
      const w = await workspace({}, 'not the passphrase');
      await writeFile(path.join(w.dropDir, 'statement.csv.gpg'), await encryptBytes(Buffer.from('id\n1\n'), { passphrase: 'open sesame' }));
      await sync(w);
      expect(await listFiles(path.join(w.bucketDir, '_octo/quarantine'))).toHaveLength(1);
      await writeFile(path.join(w.dir, 'pass.txt'), 'open sesame');
      expect((await sync(w)).files.map((f) => [f.path, f.status])).toEqual([['statement.csv.gpg', 'done']]);
      expect(await listFiles(path.join(w.bucketDir, '_octo/quarantine'))).toEqual([]);
    });

    it('should not count the files a fatal error stopped against them', async () => {
      const w = await workspace({ quarantine: { after: 1 }, concurrency: 2 });
      await writeFile(path.join(w.dropDir, 'fatal.csv'), 'f\n');
      await writeFile(path.join(w.dropDir, 'waits.csv'), 'w\n');
      // fatal.csv stops the job as a whole; waits.csv is in flight until the job's stop aborts it.
      const unpacker: Unpacker = {
        async *unpack(input, name, context) {
          input.resume();
          if (name === 'fatal.csv') {
            await new Promise((resolve) => setTimeout(resolve, 100));
            throw new OctoError('auth', 'the credentials were revoked', { fatal: true });
          }
          await new Promise((_, reject) => context.signal?.addEventListener('abort', () => reject(new OctoError('cancelled', 'stopped')), { once: true }));
          yield* [];
        },
      };
      const runtime = await w.runtime([overridingProvider('plain', { unpacker })]);
      const summary = await (await runtime.jobs.start('plain')).done;
      expect(summary).toMatchObject({ status: 'failed', error: { kind: 'auth' } });
      expect(summary.files.map((f) => [f.path, f.status])).toEqual([['waits.csv', 'failed']]);
      expect(await listFiles(path.join(w.bucketDir, '_octo/quarantine'))).toEqual([]);
    });

    it('should not count failures that are not the file\'s (the store, a secret that cannot be read), and land the file once they are put right', async () => {
      // A key, so that an unreadable passphrase fails only the passphrase files, not the job.
      const key = await generateTestKey();
      const w = await createTempWorkspace({
        secrets: { 'key.asc': key.privateKey },
        providerConfig: { quarantine: { after: 1 }, decryption: { passphrase: 'file:pass.txt', privateKeys: [{ key: 'file:key.asc' }] } },
      });
      workspaces.push(w);
      await writeFile(path.join(w.dropDir, 'statement.csv.gpg'), await encryptBytes(Buffer.from('id\n1\n'), { passphrase: 'open sesame' }));
      await writeFile(path.join(w.dropDir, 'outage.csv'), 'id\n2\n');
      let storeDown = true;
      const unpacker: Unpacker = {
        async *unpack(input, name) {
          if (name === 'outage.csv' && storeDown) {
            input.resume();
            throw new OctoError('store', 'the bucket answered 503 SlowDown to every try');
          }
          yield { name, stream: input };
        },
      };
      const runtime = await w.runtime([overridingProvider('plain', { unpacker })]);
      for (let run = 0; run < 3; run += 1) {
        const summary = await (await runtime.jobs.start('plain')).done;
        expect(summary.files.map((f) => [f.path, f.status, f.status === 'failed' ? f.kind : ''])).toEqual([
          ['outage.csv', 'failed', 'store'],
          ['statement.csv.gpg', 'failed', 'secret'],
        ]);
        expect(summary.skipped).toBeUndefined();
      }
      expect(await listFiles(path.join(w.bucketDir, '_octo/quarantine'))).toEqual([]);

      storeDown = false;
      await writeFile(path.join(w.dir, 'pass.txt'), 'open sesame');
      const fixed = await (await runtime.jobs.start('plain')).done;
      expect(fixed.files.map((f) => [f.path, f.status])).toEqual([
        ['outage.csv', 'done'],
        ['statement.csv.gpg', 'done'],
      ]);
    });

    it('should never quarantine with quarantine.after 0', async () => {
      const w = await workspace({ quarantine: { after: 0 } });
      await writeFile(path.join(w.dropDir, 'bad.csv.gz'), truncatedGzip);
      for (let run = 0; run < 4; run += 1) expect((await sync(w)).failed).toBe(1);
      expect((await (await book(await w.runtime(), 0)).entries()).map((e) => [e.attempts, e.quarantined])).toEqual([[4, false]]);
    });

    it('should refuse to release a path that is not quarantined, naming the ones that are', async () => {
      const w = await workspace({ quarantine: { after: 1 } });
      await writeFile(path.join(w.dropDir, 'bad.csv.gz'), truncatedGzip);
      await sync(w);
      await expect((await book(await w.runtime(), 1)).release('other.csv')).rejects.toMatchObject({
        kind: 'config',
        message: 'other.csv is not quarantined for provider plain: the quarantined files are: bad.csv.gz (see octo pending plain)',
      });
    });
  });

  describe('with onError: fail-run', () => {
    it('should stop the job at the first failed file and list the later ones as not attempted', async () => {
      const w = await workspace({ onError: 'fail-run', concurrency: 1 });
      await writeFile(path.join(w.dropDir, 'a.csv'), 'a\n');
      await writeFile(path.join(w.dropDir, 'b.csv.gz'), truncatedGzip);
      await writeFile(path.join(w.dropDir, 'c.csv'), 'c\n');
      await writeFile(path.join(w.dropDir, 'd.csv'), 'd\n');

      const summary = await sync(w);
      expect(summary).toMatchObject({ status: 'failed', total: 2, succeeded: 1, failed: 1 });
      expect(summary.error?.kind).toBe('unpack');
      expect(summary.error?.reason).toMatch(/^the job stopped at its first failed file \(onError: fail-run\): b\.csv\.gz: .+; 2 later file\(s\) were not attempted$/);
      expect(summary.skipped?.map((s) => [s.path, s.why, s.reason])).toEqual([
        ['c.csv', 'not-attempted', 'not attempted: b.csv.gz failed before it and onError is fail-run; fix or release that file, and the next run takes this one'],
        ['d.csv', 'not-attempted', 'not attempted: b.csv.gz failed before it and onError is fail-run; fix or release that file, and the next run takes this one'],
      ]);
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/a.csv']);
    });

    it('should go on past failures with the default skip-file', async () => {
      const w = await workspace({ concurrency: 1 });
      await writeFile(path.join(w.dropDir, 'a.csv'), 'a\n');
      await writeFile(path.join(w.dropDir, 'b.csv.gz'), truncatedGzip);
      await writeFile(path.join(w.dropDir, 'c.csv'), 'c\n');
      const summary = await sync(w);
      expect(summary).toMatchObject({ status: 'partial', total: 3, succeeded: 2, failed: 1 });
      expect(summary.skipped).toBeUndefined();
    });
  });

  describe('in sequential mode', () => {
    it('should take files oldest first, one at a time, and stop the later ones at a failure', async () => {
      const w = await workspace({ sequential: true, order: 'mtime' });
      await writeFile(path.join(w.dropDir, 'z_first.csv'), 'z\n');
      await writeFile(path.join(w.dropDir, 'm_second.csv.gz'), truncatedGzip);
      await writeFile(path.join(w.dropDir, 'a_third.csv'), 'a\n');
      await ageInOrder(w.dropDir, ['z_first.csv', 'm_second.csv.gz', 'a_third.csv']);
      const started: string[] = [];
      const job = await (await w.runtime()).jobs.start('plain');
      job.subscribe((event) => {
        if (event.type === 'file.started') started.push(event.path);
      });
      const summary = await job.done;

      expect(started).toEqual(['z_first.csv', 'm_second.csv.gz']);
      expect(summary).toMatchObject({ status: 'partial', total: 2, succeeded: 1, failed: 1 });
      expect(summary.error).toBeUndefined();
      expect(summary.skipped).toEqual([
        { path: 'a_third.csv', size: 2, why: 'not-attempted', reason: 'not attempted: m_second.csv.gz failed before it and sequential is set, so files are applied in order; fix or release that file, and the next run takes this one' },
      ]);
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/z_first.csv']);
    });

    it('should hold the files after a quarantined one', async () => {
      const w = await workspace({ sequential: true, order: 'name', quarantine: { after: 1 } });
      await writeFile(path.join(w.dropDir, 'a.csv.gz'), truncatedGzip);
      await writeFile(path.join(w.dropDir, 'b.csv'), 'b\n');
      await sync(w);
      const summary = await sync(w);
      expect(summary).toMatchObject({ total: 0, files: [] });
      expect(summary.skipped?.map((s) => [s.path, s.why, s.reason.split(';')[0]])).toEqual([
        ['a.csv.gz', 'quarantined', expect.stringMatching(/^quarantined after failing 1 runs/)],
        ['b.csv', 'not-attempted', 'not attempted: a.csv.gz, before it, is quarantined and sequential is set, so files are applied in order'],
      ]);
    });
  });
});
