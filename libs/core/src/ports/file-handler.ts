import type { FileContext } from './file-context.js';
import type { StagedObject } from './object-store.js';
import type { RemoteFile } from './remote-source.js';
import type { UnpackedEntry } from './unpacker.js';

/** An unpacked entry as it was staged: its name in the archive and the object it became. */
export interface StagedEntry extends StagedObject {
  readonly name: string;
}

/**
 * A provider's rule for which files it takes and, file by file, what of each lands. Discovery
 * has already applied the config's `include`/`exclude` globs and left uploads in progress;
 * `accepts` only adds the partner's own rule. Each file being processed gets its own
 * {@link FileHandling} from `begin`, so whatever a rule learns about one file (a manifest, the
 * entry names it saw) lives in that object and never mixes with another file's.
 */
export interface FileHandler {
  /** At discovery: true to ingest this listed file. */
  accepts(file: RemoteFile): boolean;
  /** When the file's processing starts; the object sees its entries and has the last word on it. */
  begin(context: FileContext): FileHandling;
}

/** One file's handling, from its first entry to its commit; made by {@link FileHandler.begin}. */
export interface FileHandling {
  /**
   * Each entry as it is unpacked, in archive order, before it is routed: the entry to land (the same,
   * or with a stream that watches its bytes as they pass), or `undefined` to drop it silently.
   * Throw to fail the source file.
   */
  entry?(entry: UnpackedEntry): UnpackedEntry | undefined;
  /**
   * After the last entry was staged and every integrity check passed, with every entry staged (its
   * name, key, size and sha256) in archive order. Returns the names to drop before commit; throws
   * to fail the file (e.g. a manifest entry missing, or unlike its stated hash).
   */
  finish?(staged: readonly StagedEntry[]): readonly string[] | void;
}
