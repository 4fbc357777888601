import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { inject, injectable } from 'inversify';
import * as tar from 'tar-stream';
import yauzl from 'yauzl';
import { OctoError } from '../../errors/octo-error.js';
import { describeHead, outerUnpackLayer, sniff } from '../../pipeline/layers.js';
import { safeRelativeName } from '../../pipeline/safe-name.js';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import type { FileContext, UnpackedEntry, Unpacker } from '../../ports/stages.js';
import { BoundedOutput, ByteCounter, UnpackBudget } from '../../streams/byte-limit.js';
import { chain } from '../../streams/chain.js';
import { peek } from '../../streams/peek.js';

const MAX_DEPTH = 4;

interface Walk {
  readonly context: FileContext;
  readonly budget: UnpackBudget;
  entries: number;
}

/**
 * Peels gzip, tar and zip layers chosen by extension and confirmed by magic bytes.
 * gzip and tar stream; zip needs random access, so it is spooled to a temp file in the
 * work directory that is always removed. Sizes, ratios and entry counts are bounded.
 */
@injectable()
export class DefaultUnpacker implements Unpacker {
  constructor(@inject(TYPES.ProviderContext) private readonly provider: ProviderContext) {}

  async *unpack(input: Readable, name: string, context: FileContext): AsyncIterable<UnpackedEntry> {
    const walk: Walk = { context, budget: new UnpackBudget(this.provider.limits.maxUnpackedBytes), entries: 0 };
    yield* this.peel(input, name, '', walk, 0);
  }

  private async *peel(input: Readable, name: string, dir: string, walk: Walk, depth: number): AsyncGenerator<UnpackedEntry> {
    const outer = outerUnpackLayer(name);
    if (!outer || depth >= MAX_DEPTH) {
      yield { name: dir ? `${dir}/${name}` : name, stream: input };
      return;
    }
    const label = `${walk.context.file.path}${dir || depth ? ` (entry ${dir ? `${dir}/` : ''}${name})` : ''}`;
    const { head, stream } = await peek(input, 512);
    const found = sniff(head);
    if (found !== outer.layer) {
      input.destroy();
      throw new OctoError(
        'unpack',
        `${label} is named as ${outer.layer} but its content is ${found === 'unknown' ? describeHead(head) : found}: check the file with the provider`,
      );
    }
    if (outer.layer === 'gzip') {
      yield* this.peel(this.gunzip(stream, label, walk), outer.inner, dir, walk, depth + 1);
    } else if (outer.layer === 'tar') {
      yield* this.untar(stream, label, dir, walk, depth);
    } else {
      yield* this.unzip(stream, label, dir, walk, depth);
    }
  }

  private gunzip(input: Readable, label: string, walk: Walk): Readable {
    const compressed = new ByteCounter();
    const gunzip = createGunzip();
    const bounded = new BoundedOutput(walk.budget, () => compressed.bytes, this.provider.limits.maxCompressionRatio, label);
    // Name zlib's terse errors ("unexpected end of file") after the file they came from;
    // registered before chain() so this error, not the raw one, reaches the consumer.
    gunzip.once('error', (error) => {
      if (!bounded.destroyed) bounded.destroy(new OctoError('unpack', `${label}: gzip data is damaged or truncated (${error.message})`, { cause: error }));
    });
    return chain(input, compressed, gunzip, bounded);
  }

  private async *untar(input: Readable, label: string, dir: string, walk: Walk, depth: number): AsyncGenerator<UnpackedEntry> {
    const extract = tar.extract();
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
          throw new OctoError('unsafe', `${label}: tar entry "${header.name}" is a ${header.type}, and only regular files are accepted`);
        }
        this.countEntry(walk, label);
        walk.budget.take(header.size, label);
        const entryName = safeRelativeName(header.name, `${label}: tar entry`);
        // tar-stream entries are streamx streams; wrap as a Node stream for the rest of the chain.
        const stream = Readable.from(entry, { objectMode: false });
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
    const spoolDir = await mkdtemp(path.join(await this.workDir(), 'zip-'));
    try {
      const spool = path.join(spoolDir, 'archive.zip');
      await pipeline(input, createWriteStream(spool, { mode: 0o600 }));
      const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
        yauzl.open(spool, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true }, (error, file) =>
          error ? reject(error) : resolve(file),
        ),
      );
      try {
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
          if (!entry) break;
          if (entry.fileName.endsWith('/')) continue;
          this.countEntry(walk, label);
          const entryName = safeRelativeName(entry.fileName, `${label}: zip entry`);
          const raw = await new Promise<Readable>((resolve, reject) =>
            zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
          );
          const bounded = new BoundedOutput(walk.budget, () => entry.compressedSize, this.provider.limits.maxCompressionRatio, label);
          const stream = chain(raw, bounded, new PassThrough());
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
      await rm(spoolDir, { recursive: true, force: true });
    }
  }

  private countEntry(walk: Walk, label: string): void {
    walk.entries += 1;
    if (walk.entries > this.provider.limits.maxEntries) {
      throw new OctoError('unsafe', `${label} holds more than ${this.provider.limits.maxEntries} entries (limits.maxEntries)`);
    }
  }

  private async workDir(): Promise<string> {
    await mkdir(this.provider.workDir, { recursive: true });
    return this.provider.workDir;
  }

  private named(error: unknown, label: string, format: string): OctoError {
    if (OctoError.is(error)) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new OctoError('unpack', `${label}: ${format} archive is damaged or truncated (${message})`, { cause: error });
  }
}
