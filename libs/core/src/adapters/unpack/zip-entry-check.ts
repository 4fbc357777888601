import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { OctoError } from '../../errors/octo-error.js';

const RESEND = 'the archive is damaged; ask the provider to send it again';

/**
 * Checks a zip entry's bytes against what its header declares, as they flow: an entry that holds
 * more bytes than declared fails at the first byte too many, one that holds fewer or whose CRC-32
 * does not match fails at its end, before the entry's stream ends cleanly.
 */
export class ZipEntryCheck extends Transform {
  private seen = 0;
  private crc = 0;

  constructor(
    private readonly declared: { readonly uncompressedSize: number; readonly crc32: number },
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.declared.uncompressedSize) {
      callback(new OctoError('unpack', `${this.what} holds more than the ${this.declared.uncompressedSize} bytes its header declares: ${RESEND}`));
      return;
    }
    this.crc = crc32(chunk, this.crc);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.seen < this.declared.uncompressedSize) {
      callback(new OctoError('unpack', `${this.what} holds ${this.seen} bytes but its header declares ${this.declared.uncompressedSize}: ${RESEND}`));
    } else if (this.crc >>> 0 !== this.declared.crc32 >>> 0) {
      callback(new OctoError('unpack', `${this.what} fails its CRC-32 check: ${RESEND}`));
    } else {
      callback();
    }
  }
}
