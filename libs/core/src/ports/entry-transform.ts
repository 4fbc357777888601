import type { Duplex } from 'node:stream';
import type { FileContext } from './file-context.js';
import type { UnpackedEntry } from './unpacker.js';

/**
 * The validate-and-transform stage, between unpack and route: for each entry, a stream its
 * bytes pass through on their way to the store, to check them (pass every chunk on, and fail on
 * a bad one) or rewrite them (re-encode, normalise). The stream must keep backpressure and hold
 * a bounded amount of the entry (a `Transform` does both); it fails the source file by erroring,
 * best with an `OctoError` of kind `validate` that names the line and column. Nothing of a file
 * whose entry failed lands: the commit waits until every stream of the file ended cleanly.
 */
export interface EntryTransform {
  /**
   * Fresh streams for this entry (new ones per call: streams are never shared between
   * entries), one or several in the order the bytes pass them, or `undefined` to leave the
   * entry's bytes as they are. Throw to fail the file.
   */
  transform(entry: UnpackedEntry, context: FileContext): Duplex | readonly Duplex[] | undefined;
}
