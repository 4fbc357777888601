import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import type { FileContext } from '../ports/file-context.js';
import { entryCheckError } from './entry-check-error.js';

/**
 * Passes an entry's bytes on unchanged and fails it at the first byte that is not UTF-8 (an
 * overlong form, a surrogate, a stray continuation byte, or a sequence cut off at the end),
 * naming its line and column. Each chunk is checked whole by Node's validator; the bytes are
 * walked one by one only to locate a failure, so a valid file costs little.
 */
export class Utf8Check extends Transform {
  private line = 1;
  /** Characters on the current line so far. */
  private column = 0;
  /** The first bytes of a character whose rest is in the next chunk. */
  private carry: Buffer = Buffer.alloc(0);

  constructor(
    private readonly context: Pick<FileContext, 'file' | 'provider'>,
    private readonly entryName: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = incompleteTail(data);
    const body = cut > 0 ? data.subarray(0, data.length - cut) : data;
    if (!isUtf8(body)) {
      const at = firstInvalidUtf8(body);
      this.advance(body.subarray(0, at));
      callback(this.invalid(`not UTF-8 (byte 0x${(body[at] ?? 0).toString(16).toUpperCase().padStart(2, '0')})`));
      return;
    }
    this.advance(body);
    this.carry = Buffer.from(data.subarray(data.length - cut));
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.carry.length > 0 ? this.invalid('not UTF-8 (the last character is cut off)') : null);
  }

  private invalid(what: string): Error {
    const hint = 'if the partner writes Latin-1 or Windows-1252, declare it with transform.charset';
    return entryCheckError(this.context, this.entryName, { line: this.line, column: this.column + 1 }, `${what}; ${hint}`);
  }

  /** Moves the position past `bytes` (valid UTF-8): lines by `\n`, columns by characters. */
  private advance(bytes: Buffer): void {
    let last = -1;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) {
      this.line += 1;
      last = at;
    }
    if (last !== -1) this.column = 0;
    for (let i = last + 1; i < bytes.length; i += 1) if (((bytes[i] ?? 0) & 0xc0) !== 0x80) this.column += 1;
  }
}

/** How many bytes at the end of `data` begin a character that is not complete yet (0 to 3). */
function incompleteTail(data: Buffer): number {
  for (let back = 1; back <= Math.min(3, data.length); back += 1) {
    const byte = data[data.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needs > back ? back : 0;
  }
  return 0;
}

/** The offset of the first byte of `bytes` that does not start a valid UTF-8 character (RFC 3629). */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const more = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : -1;
    if (more < 0 || i + more >= bytes.length) return i;
    for (let k = 1; k <= more; k += 1) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    const second = bytes[i + 1] ?? 0;
    // Overlong three- and four-byte forms, UTF-16 surrogates, and code points past U+10FFFF.
    if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second > 0x9f) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return i;
    i += more + 1;
  }
  return bytes.length;
}
