import { Transform, type TransformCallback } from 'node:stream';
import { OctoError } from '../errors/octo-error.js';

/** Budget shared by every layer of one source file: stops decompression bombs. */
export class UnpackBudget {
  private used = 0;
  constructor(readonly maxBytes: number) {}

  take(bytes: number, what: string): void {
    this.used += bytes;
    if (this.used > this.maxBytes) {
      throw new OctoError(
        'unsafe',
        `${what} unpacks to more than ${this.maxBytes} bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine`,
      );
    }
  }
}

/**
 * Counts decompressed bytes against the file's budget and a ratio to the compressed bytes;
 * errors out (ending the chain) as soon as either is exceeded.
 */
export class BoundedOutput extends Transform {
  private produced = 0;
  constructor(
    private readonly budget: UnpackBudget,
    private readonly compressedBytes: () => number,
    private readonly maxRatio: number,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.produced += chunk.length;
    try {
      this.budget.take(chunk.length, this.what);
      // Allow a small absolute floor so tiny, highly compressible files are not flagged.
      const compressed = Math.max(this.compressedBytes(), 1);
      if (this.produced > 1024 * 1024 && this.produced / compressed > this.maxRatio) {
        throw new OctoError(
          'unsafe',
          `${this.what} expands more than ${this.maxRatio}x (limits.maxCompressionRatio): refusing a likely decompression bomb`,
        );
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    callback(null, chunk);
  }
}

/** A pass-through that only counts the bytes flowing through it (no hashing). */
export class ByteCounter extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
