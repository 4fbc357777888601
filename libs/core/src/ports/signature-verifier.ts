import type { Readable } from 'node:stream';
import type { FileContext } from './file-context.js';
import type { FileProvenance } from './file-provenance.js';

/** A stream that is being checked as it flows; `verified` settles once the check is done. */
export interface Checked {
  readonly stream: Readable;
  /** Settles once the check is done; may resolve with who vouched for the file (the signer). */
  readonly verified: Promise<FileProvenance | void>;
}

/** Checks a file's detached signature over the bytes as delivered, per the provider's policy. */
export interface SignatureVerifier {
  verify(input: Readable, context: FileContext): Promise<Checked>;
}
