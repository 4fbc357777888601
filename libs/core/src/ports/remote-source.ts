import type { Readable } from 'node:stream';

/** One file in a provider's drop, as the source lists it. */
export interface RemoteFile {
  /** Path relative to the source root, `/`-separated, never starting with `/`. */
  readonly path: string;
  readonly size: number;
  /** Modification time, milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Path of the detached signature (`<path>.sig`) paired with this file, when the drop has one. */
  readonly signaturePath?: string;
}

/** Options for {@link RemoteSource.list}. */
export interface ListOptions {
  /** Files modified less than this long ago are left for the next run. */
  readonly minAgeMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * A provider's drop: list what is there and open one file as a byte stream.
 * Implementations never change anything on the remote side.
 */
export interface RemoteSource {
  /** A short description for logs and listings, e.g. `sftp://acme@host:22/out`; never contains secrets. */
  readonly description: string;
  /** Every data file below the root (recursively); `.sig` files are paired, not listed. */
  list(options?: ListOptions): Promise<RemoteFile[]>;
  /** A stream of the file's bytes from `offset` (default 0) to its end. */
  open(file: RemoteFile, options?: { offset?: number; signal?: AbortSignal }): Promise<Readable>;
  /** Reads a small file whole (a detached signature); refuses anything over `maxBytes`. */
  readSmall(path: string, maxBytes: number): Promise<Buffer>;
  /** Releases connections; safe to call more than once. */
  close(): Promise<void>;
}
