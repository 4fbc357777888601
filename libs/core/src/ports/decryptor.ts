import type { Readable } from 'node:stream';
import type { FileContext } from './file-context.js';
import type { FileProvenance } from './file-provenance.js';

/** The result of decryption: plaintext bytes; the stream errors if integrity or signature checks fail. */
export interface Decrypted {
  readonly stream: Readable;
  /** Resolves when the whole message was read and every check passed (with the key that decrypted it, when known); rejects otherwise. */
  readonly verified: Promise<FileProvenance | void>;
}

/** Turns an OpenPGP message (armored or binary) into plaintext bytes, streaming. */
export interface Decryptor {
  decrypt(input: Readable, context: FileContext): Promise<Decrypted>;
  /** Loads the job's keys and secrets before any file (a missing one fails the job at once); optional. */
  prepare?(): Promise<void>;
  /** Releases what the engine holds for the job (e.g. a GnuPG home); called once when the job ends. */
  close?(): Promise<void>;
}
