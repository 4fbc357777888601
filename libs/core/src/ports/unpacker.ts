import type { Readable } from 'node:stream';
import type { FileContext } from './file-context.js';

/** One file that came out of unpacking (the source itself when it is not an archive). */
export interface UnpackedEntry {
  /** Name relative to its archive, `/`-separated, already checked to stay inside its prefix. */
  readonly name: string;
  readonly stream: Readable;
}

/**
 * Peels compression and archive layers: gzip, tar, zip. Entries must be consumed
 * one at a time, in order: the next entry is produced after the previous stream ended.
 */
export interface Unpacker {
  unpack(input: Readable, name: string, context: FileContext): AsyncIterable<UnpackedEntry>;
}
