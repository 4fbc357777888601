import { Transform, type TransformCallback } from 'node:stream';
import { OctoError } from '@octo/core';

/** Passes bytes through and keeps a copy, up to a limit; hands the copy over at the end. */
export class ManifestCapture extends Transform {
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
