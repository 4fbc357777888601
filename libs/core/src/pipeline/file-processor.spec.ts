import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../adapters/local/local-object-store.js';
import type { JobSummary } from '../ports/job-events.js';
import { tarOf } from '../testing/archive-fixtures.js';
import { craftZip } from '../testing/crafted-zip.js';
import { deterministicBytes } from '../testing/big-file.js';
import { listBucketFiles, listFiles, sha256 } from '../testing/files.js';
import { MeteredStore } from '../testing/metered-store.js';
import { createTempWorkspace, overridingProvider, type TempWorkspace } from '../testing/temp-workspace.js';
import { FileProcessor } from './file-processor.js';

const MiB = 1024 * 1024;
const workspaces: TempWorkspace[] = [];

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

/** A workspace whose store counts every byte handed to staging. */
async function metered(limits: Record<string, number> = {}) {
  const w = await createTempWorkspace({ secrets: { 'pass.txt': 'open sesame' }, providerConfig: { decryption: { passphrase: 'file:pass.txt' } }, config: { limits } });
  workspaces.push(w);
  const store = new MeteredStore(new LocalObjectStore(w.bucketDir));
  const run = async (): Promise<JobSummary> => (await (await w.runtime([overridingProvider('plain', { objectStore: store })])).jobs.start('plain')).done;
  return { w, store, run };
}

/** Encrypts with openpgp.js, its own zlib compression on (as many partners' tools do). */
async function encryptZlib(bytes: Buffer): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(bytes) });
  const out = await openpgp.encrypt({ message, passwords: ['open sesame'], format: 'binary', config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib } });
  return Buffer.from(out);
}

function failure(summary: JobSummary, file: string): { kind: string; reason: string } {
  const result = summary.files.find((f) => f.path === file);
  if (result?.status !== 'failed') throw new Error(`${file} did not fail: ${JSON.stringify(result)}`);
  return { kind: result.kind, reason: result.reason };
}

describe(FileProcessor, () => {
  describe('when an OpenPGP message uses its own compression', () => {
    it('should charge the decrypted bytes to the budget and stop at it, staging no more than the limit', async () => {
      const { w, store, run } = await metered({ maxUnpackedBytes: 8 * MiB });
      const plaintext = await buffer(deterministicBytes(24 * MiB));
      await writeFile(path.join(w.dropDir, 'big.csv.gpg'), await encryptZlib(plaintext));
      const summary = await run();
      expect(failure(summary, 'big.csv.gpg')).toEqual({
        kind: 'unsafe',
        reason: 'big.csv.gpg (decrypted) unpacks to more than 8388608 bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine',
      });
      expect(store.stagedBytes).toBeLessThanOrEqual(8 * MiB);
      expect(store.stagedBytes).toBeGreaterThan(7 * MiB);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });

    it('should count OpenPGP and gzip layers against one budget', async () => {
      const { w, store, run } = await metered({ maxUnpackedBytes: 6 * MiB });
      // Each layer alone stays under 6 MiB; together they do not.
      const csv = await buffer(deterministicBytes(5 * MiB));
      await writeFile(path.join(w.dropDir, 'two.csv.gz.gpg'), await encryptZlib(gzipSync(csv, { level: 0 })));
      const summary = await run();
      expect(failure(summary, 'two.csv.gz.gpg').kind).toBe('unsafe');
      expect(failure(summary, 'two.csv.gz.gpg').reason).toContain('unpacks to more than 6291456 bytes (limits.maxUnpackedBytes)');
      // Both layers charge as the bytes flow: about half the budget each when it runs out.
      expect(store.stagedBytes).toBeLessThan(3.5 * MiB);
      expect(store.stagedBytes).toBeGreaterThan(2.5 * MiB);
    });

    it('should land a genuine compressed message whole, with default limits', async () => {
      const { w, run } = await metered();
      const plaintext = await buffer(deterministicBytes(3 * MiB));
      await writeFile(path.join(w.dropDir, 'ok.csv.gpg'), await encryptZlib(plaintext));
      const summary = await run();
      expect(summary.status).toBe('succeeded');
      expect(sha256(await readFile(path.join(w.bucketDir, 'data/csv/plain/ok.csv')))).toBe(sha256(plaintext));
    });
  });

  describe('the stage timings of an encrypted file', () => {
    it('should report the bytes out of decryption as the decrypt stage, between read and unpack', async () => {
      const { w, run } = await metered();
      const csv = await buffer(deterministicBytes(3 * MiB));
      const gz = gzipSync(csv);
      const encrypted = await encryptZlib(gz);
      await writeFile(path.join(w.dropDir, 'rows.csv.gz.gpg'), encrypted);
      const summary = await run();
      const stages = summary.files.find((f) => f.path === 'rows.csv.gz.gpg')?.stages ?? {};
      expect(Object.keys(stages)).toEqual(['read', 'decrypt', 'unpack', 'store', 'commit']);
      expect([stages.read?.bytes, stages.decrypt?.bytes, stages.unpack?.bytes, stages.store?.bytes]).toEqual([encrypted.length, gz.length, csv.length, csv.length]);
      expect(stages.decrypt?.ms).toBeLessThanOrEqual((summary.files[0]?.durationMs ?? 0) + 1);
    });
  });

  describe('when a gzip file is a bomb', () => {
    it('should refuse it with default limits, having staged about 1 MiB of it', async () => {
      const { w, store, run } = await metered();
      const member = gzipSync(Buffer.alloc(64 * MiB));
      // 2.6 MB on the drop, 2.5 GiB inflated.
      await writeFile(path.join(w.dropDir, 'bomb.csv.gz'), Buffer.concat(Array.from({ length: 40 }, () => member)));
      const summary = await run();
      expect(failure(summary, 'bomb.csv.gz')).toEqual({
        kind: 'unsafe',
        reason: 'bomb.csv.gz expands more than 1000x (limits.maxCompressionRatio): refusing a likely decompression bomb',
      });
      expect(store.stagedBytes).toBeLessThan(2 * MiB);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });
  });

  it('should stage exactly what a genuine tar.gz holds: its members are not charged twice', async () => {
    const { w, run } = await metered({ maxUnpackedBytes: 3 * MiB });
    const body = await buffer(deterministicBytes(2 * MiB));
    await writeFile(path.join(w.dropDir, 'bundle.tar.gz'), gzipSync(await tarOf([['a.csv', body]])));
    const summary = await run();
    expect(summary.status, JSON.stringify(summary.files)).toBe('succeeded');
    expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/a.csv']);
    expect(sha256(await readFile(path.join(w.bucketDir, 'data/csv/plain/a.csv')))).toBe(sha256(body));
  });

  describe('when the input is malformed', () => {
    async function plain(): Promise<TempWorkspace> {
      const w = await createTempWorkspace({ secrets: { 'pass.txt': 'open sesame' }, providerConfig: { decryption: { passphrase: 'file:pass.txt' } }, config: { concurrency: 1 } });
      workspaces.push(w);
      return w;
    }
    const run = async (w: TempWorkspace) => (await (await w.runtime()).jobs.start('plain')).done;

    /** Every failure as `path: kind: reason`, checked to show no absolute local path. */
    function failures(w: TempWorkspace, summary: JobSummary): string[] {
      const lines = summary.files.flatMap((f) => (f.status === 'failed' ? [`${f.path}: ${f.kind}: ${f.reason}`] : []));
      for (const line of lines) expect(line).not.toContain(w.dir);
      return lines;
    }

    it('should never call malformed input internal, nor show a local path', async () => {
      const w = await plain();
      const tar = await tarOf([['a.csv', Buffer.alloc(5000, 'a')]]);
      const zip = craftZip([{ name: 'a.csv', content: Buffer.alloc(5000, 'a'), method: 8 }]);
      const inputs: Record<string, Buffer> = {
        'noise.zip': randomBytes(5000),
        'noise.tar': randomBytes(5000),
        'noise.tar.gz': gzipSync(randomBytes(5000)),
        'cut.zip': zip.subarray(0, zip.length - 10),
        'cut-body.zip': Buffer.concat([zip.subarray(0, 40), zip.subarray(200)]),
        'cut-header.tar': tar.subarray(0, 100),
        'cut.tar.gz': gzipSync(tar).subarray(0, 60),
        'zip-in-gz.zip.gz': gzipSync(zip.subarray(0, 100)),
        'bad.csv.gpg': Buffer.concat([Buffer.from([0x8c, 0x0d]), randomBytes(300)]),
      };
      for (const [name, bytes] of Object.entries(inputs)) await writeFile(path.join(w.dropDir, name), bytes);
      const summary = await run(w);
      expect(summary.failed, JSON.stringify(summary)).toBe(Object.keys(inputs).length);
      const kinds = Object.fromEntries(summary.files.map((f) => [f.path, f.status === 'failed' ? f.kind : 'done']));
      for (const [name, kind] of Object.entries(kinds)) expect(['unpack', 'unsafe', 'decrypt'], `${name}: ${kind}`).toContain(kind);
      failures(w, summary);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });

    it('should fail a truncated tar as unpack, naming the file and the entry, and land none of it', async () => {
      const w = await plain();
      const whole = await tarOf([['a.csv', Buffer.alloc(300_000, 'a')], ['dir/b.csv', Buffer.alloc(300_000, 'b')]]);
      await writeFile(path.join(w.dropDir, 'cut.tar'), whole.subarray(0, 450_000));
      expect(failures(w, await run(w))).toEqual(['cut.tar: unpack: cut.tar: tar entry "dir/b.csv" is cut short: the archive is truncated or damaged; ask the provider to send it again']);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });

    it('should fail a zip entry with a wrong declared size as unpack, naming the entry', async () => {
      const w = await plain();
      const content = Buffer.from('id,amount\n'.repeat(10_000));
      await writeFile(path.join(w.dropDir, 'sizes.zip'), craftZip([{ name: 'a.csv', content, method: 8, local: { uncompressedSize: 1000 } }], [{ record: 0, uncompressedSize: 1000 }]));
      expect(failures(w, await run(w))).toEqual([
        'sizes.zip: unpack: sizes.zip: zip entry "a.csv" holds more than the 1000 bytes its header declares: the archive is damaged; ask the provider to send it again',
      ]);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });

    it('should refuse a name longer than a local filesystem allows as store, before anything of the file lands', async () => {
      const w = await plain();
      const long = `${'x'.repeat(296)}.csv`;
      await writeFile(path.join(w.dropDir, 'long.tar'), await tarOf([['fine.csv', 'a'], [long, 'b']]));
      expect(failures(w, await run(w))).toEqual([
        `long.tar: store: long.tar: the key data/csv/plain/${long.slice(0, 65)}…${long.slice(-60)} has a name part of 300 bytes, more than the 255 a local filesystem allows; shorten the name at the provider or change the folder rule`,
      ]);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });

    it('should refuse a file-vs-folder clash inside one source as store, landing nothing of it', async () => {
      const w = await plain();
      await writeFile(path.join(w.dropDir, 'clash.tar'), await tarOf([['a', 'file'], ['a/b', 'inside']]));
      expect(failures(w, await run(w))).toEqual([
        'clash.tar: store: clash.tar: the keys data/other/plain/a and data/other/plain/a/b cannot both be stored in a local bucket folder: data/other/plain/a would have to be a file and a folder at once; rename one of them at the provider or change the folder rule',
      ]);
      expect(await listBucketFiles(w.bucketDir)).toEqual([]);
    });

    it('should refuse a key that clashes with an object already landed, landing nothing of the new source', async () => {
      const w = await plain();
      await writeFile(path.join(w.dropDir, 'one.tar'), await tarOf([['a', 'file']]));
      expect((await run(w)).status).toBe('succeeded');
      await writeFile(path.join(w.dropDir, 'two.tar'), await tarOf([['c.csv', 'c'], ['a/b', 'inside']]));
      expect(failures(w, await run(w))).toEqual([
        'two.tar: store: two.tar: the key data/other/plain/a/b cannot be stored: the bucket already holds an object data/other/plain/a, and a local bucket folder cannot also have a folder of that name; rename one of them at the provider or change the folder rule',
      ]);
      expect((await listFiles(path.join(w.bucketDir, 'data'))).sort()).toEqual(['other/plain/a']);
    });
  });
});
