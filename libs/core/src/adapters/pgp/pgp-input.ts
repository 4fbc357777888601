import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FileContext } from '../../ports/stages.js';
import { peek } from '../../streams/peek.js';
import { describeHead, sniff } from '../../pipeline/layers.js';
import { DecryptionFailure } from './decryption-failure.js';

const ARMOR_END = /-----END PGP MESSAGE-----\s*$/;

/** A source file confirmed to be an OpenPGP message, ready for a decryption engine. */
export interface OpenPgpInput {
  readonly armored: boolean;
  /** Every byte of the file, the sniffed head included. */
  readonly stream: Readable;
  /** For an armored file that has been read to its end: whether its armor was closed. */
  armorClosed(): boolean;
}

/** Keeps the last bytes that flowed through, to tell a cut-off armored file from a damaged one. */
class Tail extends Transform {
  private last = Buffer.alloc(0);

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.last = Buffer.concat([this.last, chunk]).subarray(-128);
    callback(null, chunk);
  }

  text(): string {
    return this.last.toString('latin1');
  }
}

/**
 * Confirms by its first bytes that a file named as an OpenPGP message is one (armored or
 * binary) before an engine sees it, so both engines refuse other data with the same message.
 */
export async function readOpenPgpInput(input: Readable, context: FileContext): Promise<OpenPgpInput> {
  const { head, stream } = await peek(input, 64);
  const kind = sniff(head);
  if (kind !== 'pgp-armored' && kind !== 'pgp-binary') {
    stream.destroy();
    throw DecryptionFailure.notOpenPgp(context.file.path, describeHead(head));
  }
  const tail = new Tail();
  stream.on('error', (error) => tail.destroy(error));
  stream.pipe(tail);
  return { armored: kind === 'pgp-armored', stream: tail, armorClosed: () => ARMOR_END.test(tail.text()) };
}
