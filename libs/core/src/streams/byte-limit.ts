import { Transform, type TransformCallback } from 'node:stream';
import { OctoError } from '../errors/octo-error.js';

/**
 * Until a source file has produced this many bytes (all layers together), no layer is called a
 * bomb: tiny, highly compressible files are common. Counted per file, not per layer or entry, so
 * a zip of many small bombs cannot stay under it entry by entry.
 */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

/**
 * How far above the budget a decompressor's own cap sits (openpgp.js `maxDecompressedMessageSize`):
 * more than its largest output chunk (a bzip2 block is at most ~46 MB), so the pipeline's check,
 * with its message, always trips first and the library's cap only matters if it ever buffers.
 */
export const BACKSTOP_SLACK_BYTES = 64 * 1024 * 1024;

/**
 * The per-source budget (limits.maxUnpackedBytes): created once per source file, and every
 * decompression layer of that file (OpenPGP's own compression, gzip, zip entries) charges its
 * output to it once, as the bytes flow. Archive members that are not decompressed (tar) are
 * not charged again.
 */
export class UnpackBudget {
  private spent = 0;
  constructor(readonly maxBytes: number) {}

  /** Bytes charged so far. */
  get used(): number {
    return this.spent;
  }

  /** A cap for a decompressor that counts on its own, above the budget so the budget trips first. */
  get backstopBytes(): number {
    return this.maxBytes + BACKSTOP_SLACK_BYTES;
  }

  /** Charges `bytes`; throws an `unsafe` error naming `what` when the budget is exceeded. */
  take(bytes: number, what: string): void {
    this.spent += bytes;
    if (this.spent > this.maxBytes) {
      throw new OctoError(
        'unsafe',
        `${what} unpacks to more than ${this.maxBytes} bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine`,
      );
    }
  }
}

/**
 * Counts one decompression layer's output against the file's budget and against the ratio to
 * the compressed bytes that layer has consumed so far (not merely been handed: a reader's
 * read-ahead would otherwise let a bomb run thousands of times past the limit). Each chunk is
 * checked before it is passed on, so nothing beyond the limit reaches the next stage.
 */
export class BoundedOutput extends Transform {
  private produced = 0;
  constructor(
    private readonly budget: UnpackBudget,
    private readonly compressedBytes: () => number,
    private readonly maxRatio: number,
    private readonly what: string,
    /** Told of each chunk it passes on (a stage's meter), so timing it takes no extra stream hop. */
    private readonly onPassed?: (bytes: number) => void,
    /**
     * Hand each checked chunk on once the decoder's callback has returned (`process.nextTick`),
     * not inside it. zlib inflates on libuv's thread pool but asks for the next chunk only after
     * its push returns, and a push that runs the rest of the chain (hashing, writing) keeps the
     * inflater idle all that time; deferred, the next chunk inflates while this one is hashed.
     * 1 GiB of gzip into sha256 here: 4.0 s -> 3.4 s (docs/performance.md).
     */
    private readonly handOnLater = false,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.produced += chunk.length;
    try {
      this.budget.take(chunk.length, this.what);
      const compressed = Math.max(this.compressedBytes(), 1);
      if (this.budget.used > RATIO_FLOOR_BYTES && this.produced / compressed > this.maxRatio) {
        throw new OctoError(
          'unsafe',
          `${this.what} expands more than ${this.maxRatio}x (limits.maxCompressionRatio): refusing a likely decompression bomb`,
        );
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.onPassed?.(chunk.length);
    if (this.handOnLater) process.nextTick(callback, null, chunk);
    else callback(null, chunk);
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
