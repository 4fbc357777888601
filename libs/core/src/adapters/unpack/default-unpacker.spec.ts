import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { OctoError } from '../../errors/octo-error.js';
import { tarOf as tarOfBuffers } from '../../testing/archive-fixtures.js';
import { craftZip, zipRecordBytes } from '../../testing/crafted-zip.js';
import { octoFailure as failure } from '../../testing/expect-failure.js';
import { sha256 } from '../../testing/files.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/file-context.js';
import { DefaultUnpacker } from './default-unpacker.js';
import { GUNZIP_CHUNK_BYTES } from './decompressors.js';

async function setup(limits: Partial<ProviderContext['limits']> = {}) {
  const workDir = await mkdtemp(path.join(tmpdir(), 'octo-unpack-'));
  const provider = {
    name: 'p',
    workDir,
    limits: { maxUnpackedBytes: 1024 ** 3, maxCompressionRatio: 1000, maxEntries: 1000, ...limits },
  } as ProviderContext;
  return { unpacker: new DefaultUnpacker(provider), workDir };
}

const context = (name: string): FileContext => ({ provider: 'p', jobId: 'j', file: { path: name, size: 0, mtimeMs: 0 } });

async function collect(unpacker: DefaultUnpacker, bytes: Buffer, name: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const entry of unpacker.unpack(Readable.from([bytes]), name, context(name))) {
    out[entry.name] = (await buffer(entry.stream)).toString('utf8');
  }
  return out;
}

/** Reads every entry to the end, counting the bytes that got out, until the unpacker refuses. */
async function drain(unpacker: DefaultUnpacker, bytes: Buffer, name: string): Promise<{ bytes: number; error: OctoError }> {
  let total = 0;
  try {
    for await (const entry of unpacker.unpack(Readable.from([bytes]), name, context(name))) {
      for await (const chunk of entry.stream) total += (chunk as Buffer).length;
    }
  } catch (error) {
    if (OctoError.is(error)) return { bytes: total, error };
    throw error;
  }
  throw new Error(`expected a refusal, but ${total} bytes came out`);
}

/** A gzip bomb of concatenated members (each 64 MiB of zeros, ~1030:1), as gzip bombs are made. */
let bombMember: Buffer | undefined;
const gzipBomb = (members: number) => {
  bombMember ??= gzipSync(Buffer.alloc(64 * 1024 * 1024));
  return Buffer.concat(Array.from({ length: members }, () => bombMember!));
};

const MiB = 1024 * 1024;

async function tarOf(entries: Array<{ name: string; body?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }>): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) {
    if (entry.type && entry.type !== 'file') pack.entry({ name: entry.name, type: entry.type, linkname: entry.linkname });
    else pack.entry({ name: entry.name }, entry.body ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function zipOf(entries: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, body] of Object.entries(entries)) zip.addBuffer(Buffer.from(body), name);
  zip.end();
  return buffer(zip.outputStream as unknown as Readable);
}

describe(DefaultUnpacker, () => {
  describe('when the file is not an archive', () => {
    it('should yield it once, unchanged', async () => {
      const { unpacker } = await setup();
      expect(await collect(unpacker, Buffer.from('a,b\n1,2\n'), 'x.csv')).toEqual({ 'x.csv': 'a,b\n1,2\n' });
    });
  });

  describe('when the file is gzip', () => {
    it('should strip .gz and yield the plaintext', async () => {
      const { unpacker } = await setup();
      expect(await collect(unpacker, gzipSync('hello'), 'x.csv.gz')).toEqual({ 'x.csv': 'hello' });
    });

    it('should inflate in 256 KiB chunks, not zlib\'s 16 KiB default (per-chunk overhead)', async () => {
      const { unpacker } = await setup();
      const plain = Buffer.alloc(3 * GUNZIP_CHUNK_BYTES, 'abcdefgh');
      const sizes: number[] = [];
      for await (const entry of unpacker.unpack(Readable.from([gzipSync(plain)]), 'x.csv.gz', context('x.csv.gz'))) {
        for await (const chunk of entry.stream as AsyncIterable<Buffer>) sizes.push(chunk.length);
      }
      expect(GUNZIP_CHUNK_BYTES).toBe(256 * 1024);
      expect(sizes).toEqual([GUNZIP_CHUNK_BYTES, GUNZIP_CHUNK_BYTES, GUNZIP_CHUNK_BYTES]);
    });

    it('when truncated, should fail with an unpack error naming the file', async () => {
      const { unpacker } = await setup();
      const whole = gzipSync(Buffer.alloc(200_000, 'abcdefgh'));
      const error = await failure(collect(unpacker, whole.subarray(0, whole.length - 20), 'x.csv.gz'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toContain('x.csv.gz');
      expect(error.message).toContain('damaged or truncated');
    });

    it('when named .gz but not gzip, should say what the bytes are', async () => {
      const { unpacker } = await setup();
      const error = await failure(collect(unpacker, Buffer.from('id,amount\n'), 'x.csv.gz'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe('x.csv.gz is named as gzip but its content is bytes 69 64 2c 61 6d 6f 75 6e: check the file with the provider');
    });

    it('when named .tar but not a tar and still arriving, should fail the file alone (no stray stream error)', async () => {
      const { unpacker } = await setup();
      const noise = Buffer.alloc(64 * 1024, 'not a tar ');
      let sent = 0;
      // A slow source (as a network read is): the peek is still waiting for bytes when the unpacker gives up.
      const chunked = new Readable({
        read() {
          setTimeout(() => {
            this.push(sent < noise.length ? noise.subarray(sent, (sent += 1024)) : null);
          }, 1);
        },
      });
      const stray: unknown[] = [];
      // What the peeked stream's failed read raised when nobody listened.
      const onStray = (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') stray.push(error);
      };
      process.on('uncaughtException', onStray);
      try {
        const error = await failure((async () => {
          for await (const entry of unpacker.unpack(chunked, 'noise.tar', context('noise.tar'))) entry.stream.resume();
        })());
        expect(error.kind).toBe('unpack');
        expect(error.message).toBe('noise.tar is named as tar but its content is bytes 6e 6f 74 20 61 20 74 61: check the file with the provider');
        await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        process.off('uncaughtException', onStray);
      }
      expect(stray).toEqual([]);
    });

    it('when it expands beyond the ratio limit, should refuse it as a likely bomb', async () => {
      const { unpacker } = await setup({ maxCompressionRatio: 50 });
      const error = await failure(collect(unpacker, gzipSync(Buffer.alloc(20 * 1024 * 1024)), 'bomb.csv.gz'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toContain('expands more than 50x (limits.maxCompressionRatio)');
    });

    it('when it unpacks beyond the size budget, should stop with an unsafe error', async () => {
      const { unpacker } = await setup({ maxUnpackedBytes: 1024 * 1024 });
      const error = await failure(collect(unpacker, gzipSync(Buffer.alloc(3 * 1024 * 1024, 7)), 'big.csv.gz'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toContain('unpacks to more than 1048576 bytes (limits.maxUnpackedBytes)');
    });
  });

  describe('when the file is a tar.gz', () => {
    it('should yield every regular file with its path, skipping directories', async () => {
      const { unpacker } = await setup();
      const archive = gzipSync(await tarOf([{ name: 'dir', type: 'directory' }, { name: 'dir/a.csv', body: 'A' }, { name: 'b.xml', body: '<b/>' }]));
      expect(await collect(unpacker, archive, 'bundle.tar.gz')).toEqual({ 'dir/a.csv': 'A', 'b.xml': '<b/>' });
    });

    it('when an entry climbs out with .., should refuse the whole file', async () => {
      const { unpacker } = await setup();
      const archive = gzipSync(await tarOf([{ name: 'ok.csv', body: 'x' }, { name: '../../etc/cron.d/evil', body: 'x' }]));
      const error = await failure(collect(unpacker, archive, 'bundle.tgz'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toContain('tar entry "../../etc/cron.d/evil" is refused: the path climbs out of its folder');
    });

    it('when an entry is a symlink, should refuse it', async () => {
      const { unpacker } = await setup();
      const archive = await tarOf([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }]);
      const error = await failure(collect(unpacker, archive, 'bundle.tar'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toContain('tar entry "link" is a symlink, and only regular files are accepted');
    });

    it('when there are more entries than allowed, should stop', async () => {
      const { unpacker } = await setup({ maxEntries: 2 });
      const archive = await tarOf([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
      const error = await failure(collect(unpacker, archive, 'x.tar'));
      expect(error.message).toContain('holds more than 2 entries (limits.maxEntries)');
    });

    it('when the gzip under the tar is truncated, should fail rather than yield a short entry', async () => {
      const { unpacker } = await setup();
      const whole = gzipSync(await tarOf([{ name: 'a.csv', body: 'x'.repeat(300_000) }, { name: 'b.csv', body: 'y'.repeat(300_000) }]));
      const error = await failure(collect(unpacker, whole.subarray(0, Math.floor(whole.length / 2)), 'x.tar.gz'));
      expect(['unpack']).toContain(error.kind);
    });
  });

  describe('when the file is a zip', () => {
    it('should yield every entry and remove its spool file', async () => {
      const { unpacker, workDir } = await setup();
      expect(await collect(unpacker, await zipOf({ 'a.csv': 'A', 'sub/b.pdf': 'B' }), 'x.zip')).toEqual({ 'a.csv': 'A', 'sub/b.pdf': 'B' });
      expect(await readdir(workDir)).toEqual([]);
    });

    it('when the zip is damaged, should fail and still remove its spool file', async () => {
      const { unpacker, workDir } = await setup();
      const zip = await zipOf({ 'a.csv': 'A'.repeat(10_000) });
      const error = await failure(collect(unpacker, zip.subarray(0, zip.length - 30), 'x.zip'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toContain('zip archive is damaged or truncated');
      expect(await readdir(workDir)).toEqual([]);
    });
  });

  describe('when the zip is genuine, written by common tools', () => {
    const csv = Buffer.from('id,amount\n'.repeat(20_000));
    const pdf = randomBytes(100_000);

    async function fromTool(make: (dir: string) => unknown): Promise<Record<string, string>> {
      const { unpacker } = await setup();
      const dir = await mkdtemp(path.join(tmpdir(), 'octo-zip-tool-'));
      await mkdir(path.join(dir, 'in', 'sub'), { recursive: true });
      await writeFile(path.join(dir, 'in', 'a.csv'), csv);
      await writeFile(path.join(dir, 'in', 'sub', 'b.pdf'), pdf);
      await make(dir);
      const out: Record<string, string> = {};
      for await (const entry of unpacker.unpack(Readable.from([await readFile(path.join(dir, 'out.zip'))]), 'x.zip', context('x.zip'))) {
        out[entry.name] = sha256(await buffer(entry.stream));
      }
      return out;
    }
    const expected = { 'a.csv': sha256(csv), 'sub/b.pdf': sha256(pdf) };

    it.each([
      ['Info-ZIP zip, deflated', ['-q', '-r', '../out.zip', '.']],
      ['Info-ZIP zip, stored', ['-q', '-0', '-r', '../out.zip', '.']],
      ['Info-ZIP zip, forced ZIP64', ['-q', '-fz', '-r', '../out.zip', '.']],
    ])('should read %s, byte for byte', async (_label, args) => {
      expect(await fromTool((dir) => execFileSync('zip', args, { cwd: path.join(dir, 'in') }))).toEqual(expected);
    });

    it('should read a zip streamed with data descriptors (yazl from streams, ZIP64 forced)', async () => {
      const zip = new yazl.ZipFile();
      zip.addReadStream(Readable.from([csv]), 'a.csv', { forceZip64Format: true });
      zip.addReadStream(Readable.from([pdf]), 'sub/b.pdf', { compress: false, size: pdf.length });
      zip.end();
      const bytes = await buffer(zip.outputStream as unknown as Readable);
      expect(await fromTool((dir) => writeFile(path.join(dir, 'out.zip'), bytes))).toEqual(expected);
    });
  });

  describe('when the file is hostile', () => {
    it('should refuse a gzip bomb within a few MiB of the ratio limit, counting what the inflater consumed', async () => {
      // 2.6 MB that inflates to 2.5 GiB, handed over in one chunk (the worst case for read-ahead).
      const { unpacker } = await setup({ maxUnpackedBytes: 64 * 1024 ** 3 });
      const { bytes, error } = await drain(unpacker, gzipBomb(40), 'bomb.csv.gz');
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('bomb.csv.gz expands more than 1000x (limits.maxCompressionRatio): refusing a likely decompression bomb');
      expect(bytes).toBeGreaterThan(MiB - 64 * 1024);
      expect(bytes).toBeLessThan(2 * MiB);
    });

    it('should stop a file at the budget: no byte beyond maxUnpackedBytes gets out', async () => {
      const { unpacker } = await setup({ maxUnpackedBytes: 2 * MiB });
      const { bytes, error } = await drain(unpacker, gzipSync(randomBytes(8 * MiB)), 'big.bin.gz');
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('big.bin.gz unpacks to more than 2097152 bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine');
      expect(bytes).toBeLessThanOrEqual(2 * MiB);
      expect(bytes).toBeGreaterThan(2 * MiB - 64 * 1024);
    });

    it('should charge a tar.gz once: its members are what the gzip layer produced, not a second helping', async () => {
      const { unpacker } = await setup({ maxUnpackedBytes: 3 * MiB });
      const body = randomBytes(2 * MiB);
      const out: Record<string, string> = {};
      for await (const entry of unpacker.unpack(Readable.from([gzipSync(await tarOfBuffers([['a.bin', body]]))]), 'x.tar.gz', context('x.tar.gz'))) {
        out[entry.name] = sha256(await buffer(entry.stream));
      }
      expect(out).toEqual({ 'a.bin': sha256(body) });
    });

    it('should refuse a zip bomb entry within a few MiB, counting the compressed bytes as they are inflated', async () => {
      const { unpacker } = await setup({ maxUnpackedBytes: 64 * 1024 ** 3 });
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.alloc(64 * MiB), 'zeros.csv');
      zip.end();
      const { bytes, error } = await drain(unpacker, await buffer(zip.outputStream as unknown as Readable), 'bomb.zip');
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('bomb.zip: zip entry "zeros.csv" expands more than 1000x (limits.maxCompressionRatio): refusing a likely decompression bomb');
      expect(bytes).toBeLessThan(2 * MiB);
    });

    it('should refuse a zip of many small bombs once the file as a whole is past the ratio floor', async () => {
      const { unpacker } = await setup({ maxUnpackedBytes: 64 * 1024 ** 3 });
      const zip = new yazl.ZipFile();
      // 200 entries of 1 MiB of zeros, each just under the floor on its own: 200 KB that unpack to 200 MiB.
      const zeros = Buffer.alloc(MiB - 1);
      for (let i = 0; i < 200; i += 1) zip.addBuffer(zeros, `part-${i}.csv`);
      zip.end();
      const { bytes, error } = await drain(unpacker, await buffer(zip.outputStream as unknown as Readable), 'many.zip');
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('many.zip: zip entry "part-1.csv" expands more than 1000x (limits.maxCompressionRatio): refusing a likely decompression bomb');
      expect(bytes).toBeLessThan(3 * MiB);
    });

    it('should refuse central-directory entries that share one compressed body, before any byte gets out', async () => {
      const { unpacker, workDir } = await setup();
      const zip = craftZip([{ name: 'a.bin', content: randomBytes(256 * 1024) }], [{ record: 0 }, { record: 0, name: 'b.bin' }, { record: 0, name: 'c.bin' }]);
      const { bytes, error } = await drain(unpacker, zip, 'shared.zip');
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('shared.zip: zip entries "a.bin" and "b.bin" overlap (they share bytes of the archive): refusing a crafted archive; ask the provider for a zip written by an ordinary tool');
      expect(bytes).toBe(0);
      expect(await readdir(workDir)).toEqual([]);
    });

    it('should escape control characters of entry names it refuses before they are checked', async () => {
      const { unpacker } = await setup();
      const zip = craftZip([{ name: 'a.bin', content: Buffer.alloc(100) }], [{ record: 0 }, { record: 0, name: '\u001b[31mred.bin' }]);
      const error = await failure(collect(unpacker, zip, 'ansi.zip'));
      expect(error.message).toContain('zip entries "a.bin" and "\\u001b[31mred.bin" overlap');
      expect(error.message).not.toContain('\u001b');
    });

    it('should refuse an entry whose header lies inside another entry\'s data', async () => {
      const { unpacker } = await setup();
      const inner = zipRecordBytes({ name: 'b.bin', content: randomBytes(4096) });
      const zip = craftZip([{ name: 'a.bin', content: inner.bytes }], [{ record: 0 }, { record: 0, ...inner.fields, offset: 30 + 'a.bin'.length }]);
      const error = await failure(collect(unpacker, zip, 'nested.zip'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toContain('nested.zip: zip entries "a.bin" and "b.bin" overlap');
    });

    it('should refuse an entry whose local header disagrees with the central directory about its size', async () => {
      const { unpacker } = await setup();
      const content = randomBytes(4096);
      const zip = craftZip([{ name: 'a.bin', content, local: { compressedSize: 1000, uncompressedSize: 1000 } }]);
      const error = await failure(collect(unpacker, zip, 'lying.zip'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe(
        'lying.zip: zip entry "a.bin" says 1000 bytes (compressed) in its local header but 4096 in the central directory: refusing a crafted archive; ask the provider for a zip written by an ordinary tool',
      );
    });

    it('should refuse an entry whose data runs into the central directory', async () => {
      const { unpacker } = await setup();
      const content = randomBytes(4096);
      // Both headers agree on a size larger than the bytes that precede the central directory.
      const zip = craftZip([{ name: 'a.bin', content, local: { compressedSize: 4100, uncompressedSize: 4100 } }], [{ record: 0, compressedSize: 4100, uncompressedSize: 4100 }]);
      const error = await failure(collect(unpacker, zip, 'runs.zip'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('runs.zip: zip entry "a.bin" runs into the archive\'s central directory: refusing a crafted archive; ask the provider for a zip written by an ordinary tool');
    });

    it('should fail an entry compressed with a method Octo does not read, naming the method', async () => {
      const { unpacker } = await setup();
      const zip = craftZip([{ name: 'a.csv', content: Buffer.from('a,b\n'), local: { method: 12 } }], [{ record: 0, method: 12 }]);
      const error = await failure(collect(unpacker, zip, 'bz.zip'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe('bz.zip: zip entry "a.csv" uses zip compression method 12; Octo reads stored and deflated entries only');
    });

    it('should fail an entry encrypted with zip\'s own password protection, saying so', async () => {
      const { unpacker } = await setup();
      const zip = craftZip([{ name: 'a.csv', content: Buffer.from('a,b\n'), method: 8, local: { flags: 0x0801 } }], [{ record: 0, flags: 0x0801 }]);
      const error = await failure(collect(unpacker, zip, 'locked.zip'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe("locked.zip: zip entry \"a.csv\" is encrypted with zip's own password protection, which Octo does not read; ask the provider to encrypt with OpenPGP instead");
    });

    it('should fail an entry that holds more bytes than it declares, naming the entry', async () => {
      const { unpacker } = await setup();
      const content = Buffer.from('id,amount\n'.repeat(10_000));
      const zip = craftZip([{ name: 'a.csv', content, method: 8, local: { uncompressedSize: 1000 } }], [{ record: 0, uncompressedSize: 1000 }]);
      const error = await failure(collect(unpacker, zip, 'short.zip'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe('short.zip: zip entry "a.csv" holds more than the 1000 bytes its header declares: the archive is damaged; ask the provider to send it again');
    });

    it('should fail an entry that holds fewer bytes than it declares, naming the entry', async () => {
      const { unpacker } = await setup();
      const content = Buffer.from('id,amount\n'.repeat(10_000));
      const zip = craftZip([{ name: 'a.csv', content, method: 8, local: { uncompressedSize: 200_000 } }], [{ record: 0, uncompressedSize: 200_000 }]);
      const error = await failure(collect(unpacker, zip, 'long.zip'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe('long.zip: zip entry "a.csv" holds 100000 bytes but its header declares 200000: the archive is damaged; ask the provider to send it again');
    });

    it('should fail an entry whose bytes do not match its CRC-32', async () => {
      const { unpacker } = await setup();
      const zip = craftZip([{ name: 'a.csv', content: Buffer.from('a,b\n1,2\n'), method: 8, local: { crc32: 1234 } }], [{ record: 0, crc32: 1234 }]);
      const error = await failure(collect(unpacker, zip, 'crc.zip'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe('crc.zip: zip entry "a.csv" fails its CRC-32 check: the archive is damaged; ask the provider to send it again');
    });

    it('should fail a tar cut inside an entry with an unpack error naming the file and the entry', async () => {
      const { unpacker } = await setup();
      const whole = await tarOf([{ name: 'a.csv', body: 'x'.repeat(300_000) }, { name: 'dir/b.csv', body: 'y'.repeat(300_000) }]);
      const error = await failure(collect(unpacker, whole.subarray(0, 450_000), 'cut.tar'));
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe('cut.tar: tar entry "dir/b.csv" is cut short: the archive is truncated or damaged; ask the provider to send it again');
    });
  });
});
