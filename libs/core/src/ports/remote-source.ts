import type { Readable } from 'node:stream';

/** One file in a provider's drop, as the source lists it. */
export interface RemoteFile {
  /** Path relative to the source root, `/`-separated, never starting with `/`. */
  readonly path: string;
  /**
   * The path's exact bytes, percent-encoded, when some segment is not valid UTF-8 (then `path`
   * is its Windows-1252 reading). The source opens the file by these bytes; the ledger keeps them.
   */
  readonly rawPath?: string;
  readonly size: number;
  /** Modification time, milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Path of the detached signature (`<path>.sig`) discovery paired with this file, when the drop has one. */
  readonly signaturePath?: string;
  /** The signature's exact bytes, percent-encoded, when its name is not valid UTF-8 (see `rawPath`). */
  readonly signatureRawPath?: string;
  /** Path of the ready marker (`ready: { marker }`) that released this file; it follows the file on `afterIngest`. */
  readonly markerPath?: string;
  /**
   * Why this file was listed but cannot be ingested (a symbolic link, a name that reads like
   * another file's): the job reports it as failed with this message and never opens it.
   */
  readonly refused?: string;
}

/** Options for {@link RemoteSource.list}. */
export interface ListOptions {
  readonly signal?: AbortSignal;
}

/**
 * A provider's drop: list what is there and open one file as a byte stream. Nothing on the
 * remote side is changed except by {@link RemoteSource.rename} and {@link RemoteSource.remove},
 * which only a provider's `afterIngest:` calls, once a file's ledger record is written.
 */
export interface RemoteSource {
  /** A short description for logs and listings, e.g. `sftp://acme@host:22/out`; never contains secrets. */
  readonly description: string;
  /**
   * Every file below the root (recursively, unless the source is configured flat), `.sig` files
   * included, in any order. Pairing signatures, the minimum age and look-alike names are the
   * pipeline's discovery step, the same for every source: an adapter only lists.
   */
  list(options?: ListOptions): Promise<RemoteFile[]>;
  /** A stream of the file's bytes from `offset` (default 0) to its end. */
  open(file: RemoteFile, options?: { offset?: number; signal?: AbortSignal }): Promise<Readable>;
  /**
   * Reads a small file whole (a detached signature); refuses anything over `maxBytes`.
   * `rawPath` (see {@link RemoteFile.rawPath}) names the file when its name is not UTF-8.
   */
  readSmall(path: string, maxBytes: number, rawPath?: string): Promise<Buffer>;
  /**
   * Moves a file to `to` (both relative to the root, UTF-8 names), creating `to`'s folders.
   * Never replaces: resolves `false`, with nothing moved, when `to` already exists (OpenSSH's
   * rename refuses to overwrite; every adapter behaves so). A source that cannot move files leaves it out.
   */
  rename?(from: string, to: string): Promise<boolean>;
  /** Deletes a file (relative to the root); a file already gone is not an error. */
  remove?(path: string): Promise<void>;
  /** Releases connections; safe to call more than once. */
  close(): Promise<void>;
}
