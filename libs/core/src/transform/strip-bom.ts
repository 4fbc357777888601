import { Transform, type TransformCallback } from 'node:stream';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Drops a UTF-8 byte order mark (EF BB BF) at the very start of an entry, even split across chunks; every other byte passes. */
export class StripBom extends Transform {
  /** The first bytes, held until three are known; `undefined` once decided. */
  private head: Buffer | undefined = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.head === undefined) return callback(null, chunk);
    const head = Buffer.concat([this.head, chunk]);
    if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) {
      this.head = head;
      return callback();
    }
    this.head = undefined;
    callback(null, head.subarray(0, BOM.length).equals(BOM) ? head.subarray(BOM.length) : head);
  }

  override _flush(callback: TransformCallback): void {
    // A file shorter than a BOM that starts like one: it was not one.
    callback(null, this.head && this.head.length > 0 ? this.head : undefined);
  }
}
