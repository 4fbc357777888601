import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import yazl from 'yazl';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../ports/job-events.js';
import { listBucketFiles, listFiles, sha256 } from '../testing/files.js';
import { encryptBytes, generateTestKey } from '../testing/pgp-fixtures.js';
import { createTempWorkspace, overridingProvider, type TempWorkspace } from '../testing/temp-workspace.js';
import { tarOf } from '../testing/archive-fixtures.js';
import type { FileHandler } from '../ports/file-handler.js';
import type { RemoteSource } from '../ports/remote-source.js';
import type { Router } from '../ports/router.js';
import type { Decryptor } from '../ports/decryptor.js';
import { OctoError } from '../errors/octo-error.js';

let partner: { privateKey: string; publicKey: string };
let stranger: { privateKey: string; publicKey: string };
const workspaces: TempWorkspace[] = [];

beforeAll(async () => {
  [partner, stranger] = await Promise.all([generateTestKey('partner'), generateTestKey('stranger')]);
});

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function workspace(extra: Record<string, unknown> = {}): Promise<TempWorkspace> {
  const w = await createTempWorkspace({
    secrets: { 'partner.asc': partner.privateKey, 'pass.txt': 'open sesame' },
    providerConfig: { decryption: { passphrase: 'file:pass.txt', privateKeys: [{ key: 'file:partner.asc' }] }, ...extra },
  });
  workspaces.push(w);
  return w;
}


const good = Buffer.from('id,amount\n1,2\n');

describe('SyncJob on the embedded default', () => {
  describe('when one file is bad', () => {
    it('should land the others, list each failure with its kind and reason, and leave nothing of the bad ones', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'good_1.csv.gpg'), await encryptBytes(good, { publicKey: partner.publicKey }));
      await writeFile(path.join(w.dropDir, 'good_2.xml.gz.gpg'), await encryptBytes(gzipSync('<a/>'), { passphrase: 'open sesame' }));
      await writeFile(path.join(w.dropDir, 'wrong_key.csv.gpg'), await encryptBytes(good, { publicKey: stranger.publicKey }));
      const gz = gzipSync(Buffer.alloc(100_000, 'x'));
      await writeFile(path.join(w.dropDir, 'truncated.csv.gz'), gz.subarray(0, gz.length - 10));
      // The first entry is fine and gets staged before the unsafe one is seen: it must not land.
      await writeFile(path.join(w.dropDir, 'unsafe.tar'), await tarOf([['fine.csv', 'a'], ['../escape.csv', 'b']]));

      const runtime = await w.runtime();
      const events: JobEvent[] = [];
      const job = await runtime.jobs.start('plain');
      job.subscribe((event) => events.push(event));
      const summary = await job.done;

      expect(summary.status).toBe('partial');
      expect([summary.total, summary.succeeded, summary.failed]).toEqual([5, 2, 3]);
      const failures = Object.fromEntries(summary.files.filter((f) => f.status === 'failed').map((f) => [f.path, f.status === 'failed' ? f.kind : '']));
      expect(failures).toEqual({ 'wrong_key.csv.gpg': 'decrypt', 'truncated.csv.gz': 'unpack', 'unsafe.tar': 'unsafe' });
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/good_1.csv', 'xml/plain/good_2.xml']);
      expect(sha256(await import('node:fs/promises').then((fs) => fs.readFile(path.join(w.bucketDir, 'data/csv/plain/good_1.csv'))))).toBe(sha256(good));
      // No staged leftovers, no zip spools, exactly two ledger records.
      // The good files' key claims and completion markers stay; the bad files' claims were removed.
      expect((await listFiles(w.bucketDir)).filter((f) => !/^(data|_octo\/(ledger|owners|complete|content|quarantine))\//.test(f))).toEqual([]);
      expect(await listFiles(path.join(w.bucketDir, '_octo/owners'))).toHaveLength(2);
      expect(await listFiles(path.join(w.bucketDir, '_octo/complete'))).toHaveLength(2);
      expect(await listFiles(path.join(w.workDir, 'tmp'))).toEqual([]);
      expect(await listFiles(path.join(w.bucketDir, '_octo/ledger'))).toHaveLength(2);

      const types = events.map((e) => e.type);
      expect(types[0]).toBe('job.started');
      expect(types.at(-1)).toBe('job.finished');
      expect(types.filter((t) => t === 'file.started')).toHaveLength(5);
      expect(types.filter((t) => t === 'file.failed')).toHaveLength(3);
      const last = events.filter((e): e is Extract<JobEvent, { type: 'file.done' | 'file.failed' }> => e.type === 'file.done' || e.type === 'file.failed').at(-1)!;
      expect(last.progress).toMatchObject({ filesDone: 5, filesTotal: 5, percent: 100 });
    });
  });

  describe('when run again', () => {
    it('should process exactly the files without a ledger record', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'a.csv'), 'a\n');
      await writeFile(path.join(w.dropDir, 'b.csv.gz'), 'not gzip');
      const first = await (await (await w.runtime()).jobs.start('plain')).done;
      expect([first.succeeded, first.failed]).toEqual([1, 1]);

      // The partner re-sends the broken file, and a new one arrives.
      await writeFile(path.join(w.dropDir, 'b.csv.gz'), gzipSync('b\n'));
      await writeFile(path.join(w.dropDir, 'c.xml'), '<c/>');
      const second = await (await (await w.runtime()).jobs.start('plain')).done;
      expect(second.files.map((f) => [f.path, f.status])).toEqual([
        ['b.csv.gz', 'done'],
        ['c.xml', 'done'],
      ]);
      const third = await (await (await w.runtime()).jobs.start('plain')).done;
      expect([third.total, third.status]).toEqual([0, 'succeeded']);
    });
  });

  describe('when a job-level error happens', () => {
    it('should report it once, not once per file', async () => {
      const w = await workspace({ decryption: { passphrase: 'env:OCTO_TEST_UNSET_PASSPHRASE' } });
      for (const name of ['a.csv.gpg', 'b.csv.gpg', 'c.csv.gpg']) {
        await writeFile(path.join(w.dropDir, name), await encryptBytes(good, { passphrase: 'x' }));
      }
      const summary = await (await (await w.runtime()).jobs.start('plain', { concurrency: 1 })).done;
      expect(summary.status).toBe('failed');
      expect(summary.error).toEqual({
        kind: 'config',
        reason:
          'provider plain has no decryption key or passphrase that can be used: decryption.passphrase (env:OCTO_TEST_UNSET_PASSPHRASE): secret env:OCTO_TEST_UNSET_PASSPHRASE is not set: export OCTO_TEST_UNSET_PASSPHRASE in the environment that runs octo',
      });
      expect(summary.files).toEqual([]);
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual([]);
    });
  });

  describe('when cancelled', () => {
    it('should stop, abort files in flight and land nothing partial', async () => {
      const w = await workspace();
      const big = Buffer.alloc(8 * 1024 * 1024, 'y');
      for (let i = 0; i < 6; i += 1) await writeFile(path.join(w.dropDir, `big_${i}.csv.gz`), gzipSync(big, { level: 1 }));
      const runtime = await w.runtime();
      const job = await runtime.jobs.start('plain', { concurrency: 1 });
      job.subscribe((event) => {
        if (event.type === 'file.done') job.cancel();
      });
      const summary = await job.done;
      expect(summary.status).toBe('cancelled');
      expect(summary.succeeded).toBeGreaterThanOrEqual(1);
      expect(summary.succeeded).toBeLessThan(6);
      const landed = await listFiles(path.join(w.bucketDir, 'data'));
      expect(landed).toHaveLength(summary.succeeded);
      expect(await listFiles(path.join(w.bucketDir, '_octo/ledger'))).toHaveLength(summary.succeeded);
      expect((await listFiles(w.bucketDir)).filter((f) => f.startsWith('.octo-staging'))).toEqual([]);
    });

    it('should remove the spool of a zip being read when the job is cancelled', async () => {
      const w = await workspace();
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.alloc(64 * 1024, 'z'), 'inside.csv');
      zip.end();
      const bytes = await buffer(zip.outputStream as unknown as Readable);
      await writeFile(path.join(w.dropDir, 'secret.zip.gpg'), await encryptBytes(bytes, { passphrase: 'open sesame' }));
      const runtime = await w.runtime();
      const job = await runtime.jobs.start('plain');
      // Cancel once the decrypted archive is on disk: the spool holds plaintext.
      const spooled = (async () => {
        for (;;) {
          if ((await listFiles(path.join(w.workDir, 'tmp'))).some((file) => file.endsWith('/archive.zip'))) return job.cancel();
          if (job.finished) return;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      const summary = await job.done;
      await spooled;
      expect(summary.status).toBe('cancelled');
      expect(await listFiles(path.join(w.workDir, 'tmp'))).toEqual([]);
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual([]);
    });
  });

  describe('when a provider is already syncing', () => {
    it('should refuse a second job for it', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'a.csv.gz'), gzipSync(Buffer.alloc(4 * 1024 * 1024)));
      const runtime = await w.runtime();
      const first = await runtime.jobs.start('plain');
      await expect(runtime.jobs.start('plain')).rejects.toThrow(`provider plain already has job ${first.id} running`);
      await first.done;
    });
  });

  describe('when the dry run is asked', () => {
    it('should plan each file with its key and write nothing', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'r.csv.gz'), gzipSync('x'));
      await writeFile(path.join(w.dropDir, 'b.tar.gz'), gzipSync(await tarOf([['x.csv', 'x']])));
      const summary = await (await (await w.runtime()).jobs.start('plain', { dryRun: true })).done;
      expect(summary.plan).toEqual([
        { path: 'b.tar.gz', size: expect.any(Number), layers: ['gzip', 'tar'], outputName: 'b', key: 'data/*/plain/*', archive: true },
        { path: 'r.csv.gz', size: expect.any(Number), layers: ['gzip'], outputName: 'r.csv', key: 'data/csv/plain/r.csv', archive: false },
      ]);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });
  });

  describe("when the provider's router is not the default", () => {
    // Keys by source file, then entry name: nothing like data/<type>/<folder>/<name>.
    const router: Router = { route: (entry, context) => `by-source/${context.file.path}/${entry.name}` };

    it("should plan each plain file's key as the real run lands it, and each archive's entries under the pattern it plans", async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'r.csv.gz'), gzipSync('r'));
      await writeFile(path.join(w.dropDir, 'notes.txt'), 'n');
      await writeFile(path.join(w.dropDir, 'b.tar'), await tarOf([['x.csv', 'x'], ['sub/y.pdf', 'y']]));
      const plugins = [overridingProvider('plain', { router })];
      const dry = await (await (await w.runtime(plugins)).jobs.start('plain', { dryRun: true })).done;
      expect(dry.plan?.map(({ path: file, key, archive }) => ({ file, key, archive }))).toEqual([
        { file: 'b.tar', key: 'by-source/b.tar/*', archive: true },
        { file: 'notes.txt', key: 'by-source/notes.txt/notes.txt', archive: false },
        { file: 'r.csv.gz', key: 'by-source/r.csv.gz/r.csv', archive: false },
      ]);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);

      const real = await (await (await w.runtime(plugins)).jobs.start('plain')).done;
      const landed = Object.fromEntries(real.files.map((file) => [file.path, file.status === 'done' ? file.outputs.map((output) => output.key) : []]));
      expect(landed).toEqual({
        'b.tar': ['by-source/b.tar/x.csv', 'by-source/b.tar/sub/y.pdf'],
        'notes.txt': ['by-source/notes.txt/notes.txt'],
        'r.csv.gz': ['by-source/r.csv.gz/r.csv'],
      });
      for (const planned of dry.plan ?? []) {
        if (!planned.archive) expect(landed[planned.path]).toEqual([planned.key]);
        else for (const key of landed[planned.path] ?? []) expect(key.startsWith(planned.key.slice(0, -1))).toBe(true);
      }
    });
  });

  describe('when a provider brings a source of its own that only lists', () => {
    it('should get signature pairing and the minimum age from discovery, with no code of its own', async () => {
      const w = await workspace({ source: { url: 'file://drop/plain', minAgeSeconds: 60 } });
      const old = Date.now() - 3_600_000;
      const bytes: Record<string, Buffer> = { 'a.csv': good, 'a.csv.sig': Buffer.from('sig bytes'), 'b.csv': good, 'young.csv': good };
      const source: RemoteSource = {
        description: 'memory://plain',
        list: async () => [
          { path: 'young.csv', size: good.length, mtimeMs: Date.now() },
          { path: 'b.csv', size: good.length, mtimeMs: old },
          { path: 'a.csv.sig', size: 9, mtimeMs: old },
          { path: 'a.csv', size: good.length, mtimeMs: old },
        ],
        open: async (file) => Readable.from([bytes[file.path]!]),
        readSmall: async (file) => bytes[file]!,
        close: async () => undefined,
      };
      const runtime = await w.runtime([overridingProvider('plain', { remoteSource: source })]);
      const pending = await (await runtime.providers.create('plain')).syncJob().pending();
      expect(pending.map(({ path: file, signaturePath }) => ({ file, signaturePath }))).toEqual([
        { file: 'a.csv', signaturePath: 'a.csv.sig' },
        { file: 'b.csv', signaturePath: undefined },
      ]);
    });
  });

  describe("when the provider's file handler has the last word on a file", () => {
    const bundle = () => tarOf([['keep.pdf', 'k'], ['junk.tmp', 'j'], ['drop.pdf', 'd'], ['manifest.xml', '<m/>']]);

    it('should land only the entries it keeps and does not drop at the end', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'b.tar'), await bundle());
      const handler: FileHandler = {
        accepts: () => true,
        begin: () => ({
          entry: (entry) => (entry.name.endsWith('.tmp') ? undefined : entry),
          finish: (staged) => {
            expect(staged.map((entry) => entry.name)).toEqual(['keep.pdf', 'drop.pdf', 'manifest.xml']);
            expect(staged.find((entry) => entry.name === 'keep.pdf')).toMatchObject({ key: 'data/pdf/plain/keep.pdf', size: 1, sha256: sha256('k') });
            return ['drop.pdf'];
          },
        }),
      };
      const runtime = await w.runtime([overridingProvider('plain', { fileHandler: handler })]);
      const summary = await (await runtime.jobs.start('plain')).done;
      expect(summary.status).toBe('succeeded');
      expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['pdf/plain/keep.pdf', 'xml/plain/manifest.xml']);
      expect(summary.files[0]?.status === 'done' && summary.files[0].outputs.map((o) => o.key)).toEqual(['data/pdf/plain/keep.pdf', 'data/xml/plain/manifest.xml']);
    });

    it('should give each file its own handling, so what one file taught it never reaches another', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'a.tar'), await tarOf([['a1.csv', '1'], ['a2.csv', '2']]));
      await writeFile(path.join(w.dropDir, 'b.tar'), await tarOf([['b1.csv', '3']]));
      const seen: Record<string, string[]> = {};
      const handler: FileHandler = {
        accepts: () => true,
        begin: (context) => {
          const names: string[] = [];
          return {
            entry: (entry) => (names.push(entry.name), entry),
            finish: () => void (seen[context.file.path] = names),
          };
        },
      };
      const runtime = await w.runtime([overridingProvider('plain', { fileHandler: handler })]);
      const summary = await (await runtime.jobs.start('plain', { concurrency: 2 })).done;
      expect(summary.succeeded).toBe(2);
      expect(seen).toEqual({ 'a.tar': ['a1.csv', 'a2.csv'], 'b.tar': ['b1.csv'] });
    });

    it('when finish throws, should fail the file and land none of its entries', async () => {
      const w = await workspace();
      await writeFile(path.join(w.dropDir, 'b.tar'), await bundle());
      const handler: FileHandler = {
        accepts: () => true,
        begin: () => ({
          finish: () => {
            throw new Error('manifest lists payslip_7.pdf, which is not in the bundle');
          },
        }),
      };
      const runtime = await w.runtime([overridingProvider('plain', { fileHandler: handler })]);
      const summary = await (await runtime.jobs.start('plain')).done;
      expect(summary.files[0]).toMatchObject({ status: 'failed', reason: 'b.tar: manifest lists payslip_7.pdf, which is not in the bundle' });
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });
  });
});

describe('SyncJob when one file hits an error that stops the job', () => {
  it('should report the files still in flight as stopped by it, not as cancelled', async () => {
    const w = await workspace();
    await writeFile(path.join(w.dropDir, 'a_fatal.csv.gpg'), 'x');
    await writeFile(path.join(w.dropDir, 'b_slow.csv.gpg'), 'y');
    const decryptor: Decryptor = {
      decrypt: async (input, context) => {
        input.resume();
        if (context.file.path === 'a_fatal.csv.gpg') {
          // Late enough that the other file is in flight.
          await new Promise((resolve) => setTimeout(resolve, 100));
          throw new OctoError('auth', 'the store refused our credentials', { fatal: true });
        }
        await new Promise((resolve) => context.signal?.addEventListener('abort', resolve, { once: true }));
        throw new Error('aborted');
      },
    };
    const runtime = await w.runtime([overridingProvider('plain', { decryptor })]);
    const summary = await (await runtime.jobs.start('plain', { concurrency: 2 })).done;
    expect(summary.status).toBe('failed');
    expect(summary.error).toEqual({ kind: 'auth', reason: 'the store refused our credentials' });
    expect(summary.files).toEqual([
      expect.objectContaining({
        path: 'b_slow.csv.gpg',
        status: 'failed',
        kind: 'auth',
        reason: "b_slow.csv.gpg: not finished: the job stopped on an error that affects every file (auth, see the job's error); nothing from this file was landed, and the next run takes it again",
      }),
    ]);
    expect(await listFiles(w.bucketDir).then((keys) => keys.filter((key) => key.startsWith('data/')))).toEqual([]);
  });
});
