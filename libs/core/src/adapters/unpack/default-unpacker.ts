import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { inject, injectable } from 'inversify';
import * as tar from 'tar-stream';
import yauzl from 'yauzl';
import { OctoError } from '../../errors/octo-error.js';
import { describeSystemError, isDiskFull, isSystemError } from '../../errors/system-error.js';
import { RunFolder } from '../../jobs/run-folder.js';
import { describeHead, outerUnpackLayer, sniff, unreadableFormat, type Compression } from '../../rules/layers.js';
import { safeRelativeName } from '../../rules/safe-name.js';
import { TAR_NAME_BYTES, tarDisplayName, tarEntryName, ZIP_NAME_BYTES, zipEntryName } from './entry-names.js';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/file-context.js';
import type { UnpackedEntry, Unpacker } from '../../ports/unpacker.js';
import { BoundedOutput, UnpackBudget } from '../../streams/byte-limit.js';
import { chain } from '../../streams/chain.js';
import { peek } from '../../streams/peek.js';
import { createDecompressor } from './decompressors.js';
import { assertZipLayout, type ZipEntryLayout } from './zip-layout.js';
import { ZipEntryCheck } from './zip-entry-check.js';

const MAX_DEPTH = 4;

interface Walk {
  readonly context: FileContext;
  readonly budget: UnpackBudget;
  entries: number;
}

// General purpose flag bit 3: sizes and CRC follow the data in a descriptor, the local header has zeros.
const DATA_DESCRIPTOR = 0x08;

/**
 * Peels gzip, bzip2, xz, zstd, tar and zip layers chosen by extension and confirmed by magic
 * bytes (see {@link createDecompressor} for the decoders and their memory bounds).
 * Compressions and tar stream; zip needs random access, so it is spooled to a temp file in the
 * job's run folder (see {@link RunFolder}) that is always removed. Every decompressed byte (gzip, zip entries) is charged
 * to the source file's budget (`context.budget`) as it flows, ratios are checked against the
 * compressed bytes actually consumed, and entry counts are bounded. A zip whose entries overlap
 * or whose headers disagree is refused before any entry is read.
 */
@injectable()
export class DefaultUnpacker implements Unpacker {
  constructor(@inject(TYPES.ProviderContext) private readonly provider: ProviderContext) {}

  async *unpack(input: Readable, name: string, context: FileContext): AsyncIterable<UnpackedEntry> {
    const walk: Walk = { context, budget: context.budget ?? new UnpackBudget(this.provider.limits.maxUnpackedBytes), entries: 0 };
    yield* this.peel(input, name, '', walk, 0);
  }

  private async *peel(input: Readable, name: string, dir: string, walk: Walk, depth: number): AsyncGenerator<UnpackedEntry> {
    const outer = outerUnpackLayer(name);
    const label = `${walk.context.file.path}${dir || depth ? ` (entry ${dir ? `${dir}/` : ''}${name})` : ''}`;
    if (!outer || depth >= MAX_DEPTH) {
      const unreadable = depth < MAX_DEPTH ? unreadableFormat(name) : undefined;
      if (unreadable) {
        input.destroy();
        throw new OctoError('unpack', `${label} is named as ${unreadable}, a format Octo does not read; ask the provider to send it as .zip, .tar.gz, .tar.xz, .tar.zst or .tar.bz2`);
      }
      yield { name: dir ? `${dir}/${name}` : name, stream: input };
      return;
    }
    const { head, stream } = await peek(input, 512);
    const found = sniff(head);
    if (found !== outer.layer) {
      // The peeked stream first: its pending read would otherwise fail with nobody listening.
      stream.destroy();
      input.destroy();
      throw new OctoError(
        'unpack',
        `${label} is named as ${outer.layer} but its content is ${found === 'unknown' ? describeHead(head) : found}: check the file with the provider`,
      );
    }
    if (outer.layer === 'tar') {
      yield* this.untar(stream, label, dir, walk, depth);
    } else if (outer.layer === 'zip') {
      yield* this.unzip(stream, label, dir, walk, depth);
    } else {
      yield* this.peel(this.decompress(stream, outer.layer, label, walk), outer.inner, dir, walk, depth + 1);
    }
  }

  private decompress(input: Readable, layer: Compression, label: string, walk: Walk): Readable {
    const decoder = createDecompressor(layer);
    const bounded = new BoundedOutput(walk.budget, decoder.consumed, this.provider.limits.maxCompressionRatio, label, undefined, true);
    // Name the decoders' terse errors ("unexpected end of file") after the file they came from;
    // registered before chain() so this error, not the raw one, reaches the consumer.
    decoder.stream.once('error', (error: Error & { errno?: number }) => {
      if (bounded.destroyed) return;
      const reason = OctoError.is(error) ? error : new OctoError('unpack', `${label}: ${decoder.explain(error) ?? `${layer} data is damaged or truncated (${error.message})`}`, { cause: error });
      bounded.destroy(reason);
    });
    return chain(input, decoder.stream, bounded);
  }

  private async *untar(input: Readable, label: string, dir: string, walk: Walk, depth: number): AsyncGenerator<UnpackedEntry> {
    const extract = tar.extract(TAR_NAME_BYTES);
    let failure: Error | undefined;
    const feeding = pipeline(input, extract).catch((error: Error) => {
      failure = error;
      extract.destroy(error);
    });
    try {
      for await (const entry of extract) {
        const header = entry.header;
        if (header.type === 'directory') {
          entry.resume();
          continue;
        }
        if (header.type !== 'file' && header.type !== 'contiguous-file') {
          entry.resume();
          throw new OctoError('unsafe', `${label}: tar entry "${tarDisplayName(header)}" is a ${header.type}, and only regular files are accepted`);
        }
        // tar stores its members as they are: the layer that decompressed them (if any) already charged them.
        this.countEntry(walk, label);
        const entryName = safeRelativeName(tarEntryName(header, label), `${label}: tar entry`);
        // tar-stream entries are streamx streams; wrap as a Node stream for the rest of the chain.
        const stream = this.cutShortNamed(Readable.from(entry, { objectMode: false }), `${label}: tar entry "${entryName}"`);
        yield* this.peel(stream, entryName, dir, walk, depth + 1);
        // The consumer may have skipped the entry: drain it so the archive can move on.
        if (!stream.readableEnded) {
          stream.resume();
          await finished(stream).catch(() => undefined);
        }
      }
      await feeding;
      if (failure) throw failure;
    } catch (error) {
      input.destroy();
      throw this.named(error, label, 'tar');
    }
  }

  private async *unzip(input: Readable, label: string, dir: string, walk: Walk, depth: number): AsyncGenerator<UnpackedEntry> {
    const spoolDir = await this.spoolFolder(walk.context);
    try {
      const spool = path.join(spoolDir.dir, 'archive.zip');
      await pipeline(input, createWriteStream(spool, { mode: 0o600 }));
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.open(spool, { lazyEntries: true, autoClose: false, validateEntrySizes: true, ...ZIP_NAME_BYTES }, (error, file) =>
          error ? reject(error) : resolve(file),
        ),
      );
      try {
        // The whole directory first: overlapping or lying entries are refused before any byte is read.
        const centralDirectoryOffset = (zip as unknown as { readEntryCursor: number }).readEntryCursor;
        const located: Array<{ entry: yauzl.Entry; layout: ZipEntryLayout }> = [];
        for (const entry of await this.zipDirectory(zip, walk, label)) located.push({ entry, layout: await zipEntryLayout(zip, entry) });
        assertZipLayout(located.map(({ layout }) => layout), centralDirectoryOffset, label);
        for (const { entry, layout } of located) {
          if (entry.fileName.endsWith('/')) continue;
          const entryName = safeRelativeName(entry.fileName, `${label}: zip entry`);
          const stream = await this.zipEntryStream(zip, entry, layout.dataStart, `${label}: zip entry "${entryName}"`, walk);
          yield* this.peel(stream, entryName, dir, walk, depth + 1);
          if (!stream.readableEnded) {
            stream.resume();
            await finished(stream).catch(() => undefined);
          }
        }
      } finally {
        zip.close();
      }
    } catch (error) {
      input.destroy();
      throw this.named(error, label, 'zip');
    } finally {
      await spoolDir.release();
    }
  }

  /** Every central-directory record, counted against maxEntries as it is read. */
  private async zipDirectory(zip: yauzl.ZipFile, walk: Walk, label: string): Promise<yauzl.Entry[]> {
    const entries: yauzl.Entry[] = [];
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const onEntry = (value: yauzl.Entry) => { cleanup(); resolve(value); };
        const onEnd = () => { cleanup(); resolve(undefined); };
        const onError = (error: Error) => { cleanup(); reject(error); };
        const cleanup = () => {
          zip.off('entry', onEntry);
          zip.off('end', onEnd);
          zip.off('error', onError);
        };
        zip.on('entry', onEntry);
        zip.on('end', onEnd);
        zip.on('error', onError);
        zip.readEntry();
      });
      if (!entry) return entries;
      // yauzl hands the name over as bytes (ZIP_NAME_BYTES); from here on it is the name the rule reads.
      (entry as { fileName: string }).fileName = zipEntryName(entry);
      if (!entry.fileName.endsWith('/')) this.countEntry(walk, label);
      entries.push(entry);
    }
  }

  /**
   * One zip entry's bytes, inflated here rather than by yauzl so the ratio is checked against
   * the compressed bytes consumed so far, and checked against its declared size and CRC-32.
   */
  private async zipEntryStream(zip: yauzl.ZipFile, entry: yauzl.Entry, dataStart: number, what: string, walk: Walk): Promise<Readable> {
    if (entry.isEncrypted()) throw new OctoError('unpack', `${what} is encrypted with zip's own password protection, which Octo does not read; ask the provider to encrypt with OpenPGP instead`);
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw new OctoError('unpack', `${what} uses zip compression method ${entry.compressionMethod}; Octo reads stored and deflated entries only`);
    }
    const raw = await new Promise<Readable>((resolve, reject) =>
      zip.openReadStreamLowLevel(dataStart, entry.compressedSize, 0, entry.compressedSize, false, entry.uncompressedSize, (error, stream) =>
        error ? reject(error) : resolve(stream),
      ),
    );
    const check = new ZipEntryCheck({ uncompressedSize: entry.uncompressedSize, crc32: entry.crc32 }, what);
    const ratio = this.provider.limits.maxCompressionRatio;
    if (entry.compressionMethod === 0) {
      return chain(raw, check, new BoundedOutput(walk.budget, () => entry.compressedSize, ratio, what), new PassThrough());
    }
    const inflate = createInflateRaw();
    const bounded = new BoundedOutput(walk.budget, () => inflate.bytesWritten, ratio, what);
    inflate.once('error', (error) => {
      if (!bounded.destroyed) bounded.destroy(new OctoError('unpack', `${what}: its deflate data is damaged (${error.message}); ask the provider to send it again`, { cause: error }));
    });
    return chain(raw, inflate, check, bounded, new PassThrough());
  }

  /** Names the raw error a tar member's stream ends with when the archive stops inside it. */
  private cutShortNamed(stream: Readable, what: string): Readable {
    const out = new PassThrough();
    stream.once('error', (error) => {
      if (!out.destroyed) out.destroy(OctoError.is(error) ? error : new OctoError('unpack', `${what} is cut short: the archive is truncated or damaged; ask the provider to send it again`, { cause: error }));
    });
    return chain(stream, out);
  }

  private countEntry(walk: Walk, label: string): void {
    walk.entries += 1;
    if (walk.entries > this.provider.limits.maxEntries) {
      throw new OctoError('unsafe', `${label} holds more than ${this.provider.limits.maxEntries} entries (limits.maxEntries)`);
    }
  }

  /** A spool folder inside the job's run folder, so a killed run's spools are found and removed by the next run. */
  private spoolFolder(context: FileContext): Promise<{ dir: string; release: () => Promise<void> }> {
    return new RunFolder(this.provider.workDir, context.jobId).scratch('zip-');
  }

  private named(error: unknown, label: string, format: string): OctoError {
    if (OctoError.is(error)) return error;
    // The zip spool is the only thing the unpacker writes: a full disk there is not a damaged archive.
    if (isDiskFull(error)) {
      return new OctoError('unpack', `${label}: the work folder's disk is full (while spooling the ${format} archive); free space there or set workDir to a larger disk, then rerun`, { cause: error });
    }
    const message = isSystemError(error) ? describeSystemError(error) : error instanceof Error ? error.message : String(error);
    return new OctoError('unpack', `${label}: ${format} archive is damaged or truncated (${message})`, { cause: error });
  }
}

/** Where an entry's data starts, and what its local header says, read from the spool. */
async function zipEntryLayout(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<ZipEntryLayout> {
  const header = await new Promise<yauzl.LocalFileHeader>((resolve, reject) =>
    zip.readLocalFileHeader(entry, (error, value) => (error ? reject(error) : resolve(value))),
  );
  const central = { compressedSize: entry.compressedSize, uncompressedSize: entry.uncompressedSize, crc32: entry.crc32, method: entry.compressionMethod };
  const local = { compressedSize: header.compressedSize, uncompressedSize: header.uncompressedSize, crc32: header.crc32, method: header.compressionMethod };
  return {
    name: entry.fileName,
    start: entry.relativeOffsetOfLocalHeader,
    dataStart: header.fileDataStart,
    central,
    ...(header.generalPurposeBitFlag & DATA_DESCRIPTOR ? {} : { local }),
  };
}
