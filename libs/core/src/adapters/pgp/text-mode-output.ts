import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;

/**
 * Writes text-mode literal data (`--textmode`, `--mimemode`: formats t, u, m) the way
 * `gpg --decrypt` does on Linux: every carriage return is dropped, so the CRLF line ends
 * that text mode puts on the wire land as LF, and Octo lands the bytes gpg would.
 */
export class TextModeOutput extends Transform {
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!chunk.includes(CR)) {
      callback(null, chunk);
      return;
    }
    const out = Buffer.allocUnsafe(chunk.length);
    let length = 0;
    for (const byte of chunk) if (byte !== CR) out[length++] = byte;
    callback(null, out.subarray(0, length));
  }
}

/** True for the literal-data formats GnuPG treats as text (t, u, m), given as a letter or its char code. */
export function isTextLiteral(format: unknown): boolean {
  const letter = typeof format === 'number' ? String.fromCharCode(format) : String(format);
  return letter === 't' || letter === 'u' || letter === 'm' || letter === 'text' || letter === 'utf8' || letter === 'mime';
}
