import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import {
  DefaultUnpacker,
  inject,
  injectable,
  OctoError,
  TYPES,
  type FileContext,
  type ProviderContext,
  type UnpackedEntry,
  type Unpacker,
} from '@octo/core';
import { BundleContents } from './bundle-contents.js';
import { MAX_MANIFEST_BYTES, type GlobexPayrollSettings } from './globex-payroll-settings.js';

/**
 * The default unpacker, watched: it records every entry name of a bundle and a copy of its
 * manifest's bytes (as they stream past, bounded) for {@link GlobexPayrollFileFilter} to
 * decide at the end of the file, since the manifest may come before or after the payslips.
 */
@injectable()
export class ManifestCapturingUnpacker implements Unpacker {
  private readonly manifestName: string;

  constructor(
    @inject(DefaultUnpacker) private readonly inner: Unpacker,
    @inject(BundleContents) private readonly contents: BundleContents,
    @inject(TYPES.ProviderContext) provider: ProviderContext,
  ) {
    this.manifestName = (provider.settings as GlobexPayrollSettings).manifest;
  }

  async *unpack(input: Parameters<Unpacker['unpack']>[0], name: string, context: FileContext): AsyncIterable<UnpackedEntry> {
    const bundle = this.contents.of(context);
    for await (const entry of this.inner.unpack(input, name, context)) {
      bundle.entries.push(entry.name);
      if (entry.name !== this.manifestName) {
        yield entry;
        continue;
      }
      if (bundle.entries.indexOf(entry.name) !== bundle.entries.length - 1) {
        entry.stream.destroy();
        throw new OctoError('filter', `${context.file.path} holds ${entry.name} twice, so which payslips to land is unclear; nothing from it was landed`);
      }
      const capture = new CaptureStream(MAX_MANIFEST_BYTES, `${context.file.path}: ${entry.name}`, (bytes) => {
        bundle.manifest = bytes;
      });
      // pipeline carries an error either way: a damaged archive fails the capture, and the reverse.
      pipeline(entry.stream, capture, () => undefined);
      yield { name: entry.name, stream: capture };
    }
  }
}

/** Passes bytes through and keeps a copy, up to a limit; hands the copy over at the end. */
class CaptureStream extends Transform {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly limit: number,
    private readonly label: string,
    private readonly onEnd: (bytes: Buffer) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.limit) {
      callback(new OctoError('filter', `${this.label} is larger than ${this.limit} bytes, too large for a manifest; nothing from the bundle was landed`));
      return;
    }
    this.chunks.push(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.onEnd(Buffer.concat(this.chunks, this.size));
    callback();
  }
}
