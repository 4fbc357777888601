import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { OctoError } from '../../errors/octo-error.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/file-context.js';
import { DefaultUnpacker } from './default-unpacker.js';

// bzip2, xz and zstd files are made by Debian's own tools, as a partner's would be.

function unpacker(limits: Partial<ProviderContext['limits']> = {}): DefaultUnpacker {
  const provider = {
    name: 'p',
    workDir: tmpdir(),
    limits: { maxUnpackedBytes: 1024 ** 3, maxCompressionRatio: 100_000, maxEntries: 1000, ...limits },
  } as ProviderContext;
  return new DefaultUnpacker(provider);
}

const context = (name: string): FileContext => ({ provider: 'p', jobId: 'j', file: { path: `in/${name}`, size: 0, mtimeMs: 0 } });

async function entries(bytes: Buffer, name: string, limits?: Partial<ProviderContext['limits']>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const entry of unpacker(limits).unpack(Readable.from([bytes]), name, context(name))) out.set(entry.name, await buffer(entry.stream));
  return out;
}

/** The refusal, and how many bytes got out before it. */
async function refusal(bytes: Buffer, name: string, limits?: Partial<ProviderContext['limits']>): Promise<{ error: OctoError; out: number }> {
  let out = 0;
  try {
    for await (const entry of unpacker(limits).unpack(Readable.from([bytes]), name, context(name))) {
      for await (const chunk of entry.stream) out += (chunk as Buffer).length;
    }
  } catch (error) {
    if (OctoError.is(error)) return { error, out };
    throw error;
  }
  throw new Error(`expected a refusal, but ${out} bytes came out`);
}

/** Live child processes of this process running `tool`. */
function children(tool: string): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-x', tool], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const compress = (tool: string, args: readonly string[], input: Buffer): Buffer => execFileSync(tool, [...args], { input, maxBuffer: 1024 ** 3 });

/** CSV-like text that compresses but not trivially, long enough to span several bzip2 blocks and zlib chunks. */
function csv(rows: number): Buffer {
  const lines = ['id,name,amount'];
  let seed = 7;
  for (let i = 0; i < rows; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    lines.push(`${i},name-${seed % 9973},${(seed % 100000) / 100}`);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

const FORMATS = [
  { ext: 'bz2', tool: 'bzip2', args: ['-1', '-c'], tarFlag: '--bzip2', tarExts: ['tar.bz2', 'tbz2'] },
  { ext: 'xz', tool: 'xz', args: ['-c'], tarFlag: '--xz', tarExts: ['tar.xz', 'txz'] },
  { ext: 'zst', tool: 'zstd', args: ['-q', '-c'], tarFlag: '--zstd', tarExts: ['tar.zst', 'tzst'] },
] as const;

/** A tar made by GNU tar with its compression flag, of two files in a folder. */
async function tarball(flag: string, files: Record<string, Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'octo-formats-'));
  for (const [name, bytes] of Object.entries(files)) {
    execFileSync('mkdir', ['-p', path.dirname(path.join(dir, name))]);
    await writeFile(path.join(dir, name), bytes);
  }
  return execFileSync('tar', ['-c', flag, '-C', dir, '-f', '-', ...Object.keys(files)], { maxBuffer: 1024 ** 3 });
}

describe('DefaultUnpacker: bzip2, xz and zstd', () => {
  const plain = csv(120_000); // ~2.6 MB: 26 bzip2 blocks at -1

  for (const format of FORMATS) {
    describe(`.${format.ext}`, () => {
      it(`should decompress a file made by ${format.tool} to the same bytes, named without .${format.ext}`, async () => {
        const out = await entries(compress(format.tool, format.args, plain), `statement.csv.${format.ext}`);
        expect([...out.keys()]).toEqual(['statement.csv']);
        expect(out.get('statement.csv')?.equals(plain)).toBe(true);
      });

      for (const tarExt of format.tarExts) {
        it(`should read a .${tarExt} made by tar ${format.tarFlag}: every entry, byte for byte`, async () => {
          const files = { 'a/one.csv': plain.subarray(0, 50_000), 'a/b/two.txt': Buffer.from('two\n') };
          const out = await entries(await tarball(format.tarFlag, files), `bundle.${tarExt}`);
          expect([...out.keys()].sort()).toEqual(['a/b/two.txt', 'a/one.csv']);
          expect(out.get('a/one.csv')?.equals(files['a/one.csv'])).toBe(true);
          expect(out.get('a/b/two.txt')?.toString()).toBe('two\n');
        });
      }

      it('should fail a truncated file with an unpack error naming the file, and no complete output', async () => {
        const whole = compress(format.tool, format.args, plain);
        const { error, out } = await refusal(whole.subarray(0, Math.floor(whole.length / 2)), `cut.csv.${format.ext}`);
        expect(error.kind).toBe('unpack');
        expect(error.message).toMatch(new RegExp(`^in/cut\\.csv\\.${format.ext}: ${format.tool === 'zstd' ? 'zstd' : format.tool === 'xz' ? 'xz' : 'bzip2'} data is damaged or truncated \\(.+\\)$`));
        expect(out).toBeLessThan(plain.length);
      });

      it('should refuse content that is not what the name says, naming what it is', async () => {
        const { error } = await refusal(gzipSync(plain), `wrong.csv.${format.ext}`);
        expect(error.kind).toBe('unpack');
        expect(error.message).toBe(`in/wrong.csv.${format.ext} is named as ${format.tool === 'zstd' ? 'zstd' : format.tool === 'xz' ? 'xz' : 'bzip2'} but its content is gzip: check the file with the provider`);
      });

      it('should stop a bomb at the budget: nothing beyond maxUnpackedBytes gets out', async () => {
        const bomb = compress(format.tool, format.args, Buffer.alloc(64 * 1024 * 1024));
        expect(bomb.length).toBeLessThan(64 * 1024); // it really is a bomb
        const { error, out } = await refusal(bomb, `zeros.bin.${format.ext}`, { maxUnpackedBytes: 8 * 1024 * 1024 });
        expect(error.kind).toBe('unsafe');
        expect(error.message).toContain('(limits.maxUnpackedBytes)');
        expect(out).toBeLessThanOrEqual(8 * 1024 * 1024);
      });

      it('should refuse a bomb by its ratio, counting the compressed bytes the decoder was handed', async () => {
        const bomb = compress(format.tool, format.args, Buffer.alloc(64 * 1024 * 1024));
        const { error, out } = await refusal(bomb, `zeros.bin.${format.ext}`, { maxCompressionRatio: 100 });
        expect(error.kind).toBe('unsafe');
        expect(error.message).toBe(`in/zeros.bin.${format.ext} expands more than 100x (limits.maxCompressionRatio): refusing a likely decompression bomb`);
        expect(out).toBeLessThan(16 * 1024 * 1024);
      });
    });
  }

  it('should refuse an xz stream whose dictionary needs more than 128 MiB to decode, saying why', async () => {
    const big = compress('xz', ['-c', '--lzma2=preset=0,dict=256MiB'], plain.subarray(0, 100_000));
    const { error } = await refusal(big, 'big.csv.xz');
    expect(error.kind).toBe('unpack');
    expect(error.message).toBe('in/big.csv.xz: its xz stream needs more than 128 MiB of memory to decode, which Octo refuses; ask the provider to compress with a preset of -9 or lower');
  });

  it('should refuse a zstd frame whose window is larger than 128 MiB, saying why', async () => {
    // Streamed in (size unknown), so zstd declares the whole --long window in the frame.
    const wide = execFileSync('sh', ['-c', 'zstd -q -c --long=30 -'], { input: plain.subarray(0, 100_000) });
    const { error } = await refusal(wide, 'wide.csv.zst');
    expect(error.kind).toBe('unpack');
    expect(error.message).toBe('in/wide.csv.zst: its zstd frame asks for a window larger than 128 MiB, which Octo does not decode; ask the provider to compress without --long=28 or above');
  });

  it('should decode a zstd frame made with --long=27, the largest window it accepts', async () => {
    const out = await entries(execFileSync('sh', ['-c', 'zstd -q -c --long=27 -'], { input: plain }), 'long.csv.zst');
    expect(out.get('long.csv')?.equals(plain)).toBe(true);
  });

  it.each([
    ['bzip2', 'bz2', 'bzip2'],
    ['xz', 'xz', 'xz-utils'],
  ])('should say what to install when %s is missing, failing the file alone', async (tool, ext, debianPackage) => {
    const bytes = compress(tool, ['-c'], plain);
    const saved = process.env['PATH'];
    process.env['PATH'] = await mkdtemp(path.join(tmpdir(), 'octo-nopath-'));
    try {
      const { error } = await refusal(bytes, `x.csv.${ext}`);
      expect(error.kind).toBe('config');
      expect(error.message).toBe(`${tool} is not installed on this machine, and Octo decompresses .${ext} files with it: install it (Debian: apt-get install ${debianPackage})`);
    } finally {
      process.env['PATH'] = saved;
    }
  });

  it.each(['bz2', 'xz'])('should end the decoder process of a .%s whose reader gave up, leaving no child behind', async (ext) => {
    const tool = ext === 'xz' ? 'xz' : 'bzip2';
    const bytes = compress(tool, ['-c'], plain);
    const before = children(tool);
    for await (const entry of unpacker().unpack(Readable.from([bytes]), `x.csv.${ext}`, context(`x.csv.${ext}`))) {
      for await (const chunk of entry.stream) {
        expect((chunk as Buffer).length).toBeGreaterThan(0);
        entry.stream.destroy();
        break;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(children(tool)).toEqual(before);
  });

  describe('formats Octo does not read', () => {
    it.each([
      ['report.7z', 'a 7-Zip archive'],
      ['report.RAR', 'a RAR archive'],
      ['report.csv.lz4', 'LZ4 data'],
      ['report.csv.Z', 'Unix compress (.Z) data'],
    ])('should fail %s, naming its format', async (name, format) => {
      const { error } = await refusal(Buffer.from('anything'), name);
      expect(error.kind).toBe('unpack');
      expect(error.message).toBe(`in/${name} is named as ${format}, a format Octo does not read; ask the provider to send it as .zip, .tar.gz, .tar.xz, .tar.zst or .tar.bz2`);
    });

    it('should name a RAR archive sent as .gz by its magic bytes', async () => {
      const { error } = await refusal(Buffer.concat([Buffer.from('Rar!\x1a\x07\x01\x00', 'latin1'), Buffer.alloc(600)]), 'x.csv.gz');
      expect(error.message).toBe('in/x.csv.gz is named as gzip but its content is a RAR archive (bytes 52 61 72 21 1a 07 01 00), a format Octo does not read: check the file with the provider');
    });

    it('should name a 7-Zip archive sent as .zip by its magic bytes', async () => {
      const { error } = await refusal(Buffer.concat([Buffer.from('377abcaf271c0004', 'hex'), Buffer.alloc(600)]), 'x.zip');
      expect(error.message).toBe('in/x.zip is named as zip but its content is a 7-Zip archive (bytes 37 7a bc af 27 1c 00 04), a format Octo does not read: check the file with the provider');
    });

    it('should still hand over a plain file whose bytes it does not know', async () => {
      const out = await entries(Buffer.from('Rar!\x1a\x07 is just text here'), 'notes.txt');
      expect(out.get('notes.txt')?.toString()).toBe('Rar!\x1a\x07 is just text here');
    });
  });
});
