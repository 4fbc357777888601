import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** A pass-through that counts bytes and computes their sha256 as they flow. */
export class DigestStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(private readonly onBytes?: (total: number, delta: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes, chunk.length);
    callback(null, chunk);
  }

  /** Hex sha256 of every byte seen; call once, after the stream ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
