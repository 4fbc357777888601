import { Transform, type TransformCallback } from 'node:stream';

/**
 * Re-encodes an entry from a declared character set (any label the WHATWG Encoding Standard
 * knows: `windows-1252`, `iso-8859-15`, `utf-16le`, ...) to UTF-8, chunk by chunk: a character
 * split across two chunks is held until its last byte arrives. `latin1` and `iso-8859-1` are
 * read as windows-1252, as browsers read them (they differ only in 0x80-0x9F, control codes in
 * Latin-1). A byte the set does not define becomes U+FFFD.
 */
export class CharsetToUtf8 extends Transform {
  private readonly decoder: TextDecoder;

  constructor(charset: string) {
    super();
    this.decoder = new TextDecoder(charset);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.decoder.decode(chunk, { stream: true });
    callback(null, text.length > 0 ? Buffer.from(text, 'utf8') : undefined);
  }

  override _flush(callback: TransformCallback): void {
    const text = this.decoder.decode();
    callback(null, text.length > 0 ? Buffer.from(text, 'utf8') : undefined);
  }
}

/** True when `charset` is a label {@link CharsetToUtf8} can read. */
export function isKnownCharset(charset: string): boolean {
  try {
    new TextDecoder(charset);
    return true;
  } catch {
    return false;
  }
}
