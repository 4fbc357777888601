import { Transform, type TransformCallback } from 'node:stream';

const CR = 13;
const LF = 10;

/** The line ending an entry's lines are rewritten to. */
export type LineEnding = 'lf' | 'crlf';

/**
 * Rewrites every line ending of an entry (CRLF, LF, or a lone CR as old Mac tools write) to one
 * style, chunk by chunk: a CR at the end of a chunk waits to see whether an LF follows.
 */
export class LineEndings extends Transform {
  private pendingCr = false;
  private readonly eol: Buffer;

  constructor(ending: LineEnding) {
    super();
    this.eol = Buffer.from(ending === 'lf' ? '\n' : '\r\n');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Most chunks of an LF file hold no CR: they pass as they are.
    if (!this.pendingCr && this.eol.length === 1 && chunk.indexOf(CR) === -1) return callback(null, chunk);
    const parts: Buffer[] = [];
    let from = 0;
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      parts.push(this.eol);
      if (chunk[0] === LF) from = i = 1;
    }
    for (; i < chunk.length; i += 1) {
      const byte = chunk[i];
      if (byte !== CR && byte !== LF) continue;
      parts.push(chunk.subarray(from, i));
      if (byte === CR) {
        if (i + 1 === chunk.length) {
          this.pendingCr = true;
          from = i + 1;
          continue;
        }
        if (chunk[i + 1] === LF) i += 1;
      }
      parts.push(this.eol);
      from = i + 1;
    }
    parts.push(chunk.subarray(from));
    callback(null, Buffer.concat(parts));
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.pendingCr ? this.eol : undefined);
  }
}
