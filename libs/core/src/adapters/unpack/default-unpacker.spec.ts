import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { octoFailure as failure } from '../../testing/expect-failure.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/stages.js';
import { DefaultUnpacker } from './default-unpacker.js';

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
});
