import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { FileContext } from '../../ports/file-context.js';
import { peek } from '../../streams/peek.js';
import { describeHead, sniff } from '../../rules/layers.js';
import { DecryptionFailure } from './decryption-failure.js';

const ARMOR_END = /-----END PGP MESSAGE-----\s*$/;

/** A source file confirmed to be an OpenPGP message, ready for a decryption engine. */
export interface OpenPgpInput {
  readonly armored: boolean;
  /** Every byte of the file, the sniffed head included. */
  readonly stream: Readable;
  /** True when an armored file was read to its end and its armor never closed: the file was cut short. */
  armorCut(): boolean;
  /** The error the source stream failed with (a dropped transfer), to report instead of what it caused downstream. */
  inputError(): unknown;
}

/** Keeps the last bytes that flowed through, to tell a cut-off armored file from a damaged one. */
/** How much of the input's end is kept to check an armored message's END line. */
const TAIL_BYTES = 128;

class Tail extends Transform {
  private last = Buffer.alloc(0);
  ended = false;

  override _flush(callback: TransformCallback): void {
    this.ended = true;
    callback();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Copies at most TAIL_BYTES per chunk (concatenating the whole chunk would copy every input byte).
    const recent = chunk.length >= TAIL_BYTES ? chunk.subarray(-TAIL_BYTES) : Buffer.concat([this.last, chunk]).subarray(-TAIL_BYTES);
    this.last = Buffer.from(recent);
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
  let failed: unknown;
  stream.on('error', (error) => {
    failed ??= error;
    tail.destroy(error);
  });
  stream.pipe(tail);
  const armored = kind === 'pgp-armored';
  return { armored, stream: tail, armorCut: () => armored && tail.ended && !ARMOR_END.test(tail.text()), inputError: () => failed };
}
