import type { Readable } from 'node:stream';
import type { UnpackBudget } from '../streams/byte-limit.js';
import type { FileProvenance } from './file-provenance.js';
import type { StagedObject } from './object-store.js';
import type { RemoteFile } from './remote-source.js';

/** What every stage knows about the file it is working on. */
export interface FileContext {
  readonly provider: string;
  readonly jobId: string;
  readonly file: RemoteFile;
  /** Detached signature bytes, when the source paired one with the file. */
  readonly signature?: Buffer;
  readonly signal?: AbortSignal;
  /**
   * The file's decompression budget (limits.maxUnpackedBytes): every layer that decompresses
   * (OpenPGP's own compression, gzip, zip entries) charges its output here, once.
   */
  readonly budget?: UnpackBudget;
}

/** The result of decryption: plaintext bytes; the stream errors if integrity or signature checks fail. */
export interface Decrypted {
  readonly stream: Readable;
  /** Resolves when the whole message was read and every check passed (with the key that decrypted it, when known); rejects otherwise. */
  readonly verified: Promise<FileProvenance | void>;
}

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

/** Turns an OpenPGP message (armored or binary) into plaintext bytes, streaming. */
export interface Decryptor {
  decrypt(input: Readable, context: FileContext): Promise<Decrypted>;
  /** Releases what the engine holds for the job (e.g. a GnuPG home); called once when the job ends. */
  close?(): Promise<void>;
}

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

/** The folder part of an output key, per provider (the legacy `get_folder_name`). */
export interface FolderNamer {
  folderFor(entry: { name: string }, context: FileContext): string;
}

/** Turns an output name into its object key. */
export interface Router {
  route(entry: { name: string }, context: FileContext): string;
}

/** An unpacked entry as it was staged: its name in the archive and the object it became. */
export interface StagedEntry extends StagedObject {
  readonly name: string;
}

/** Which listed files a provider takes, and which unpacked entries it keeps. */
export interface FileFilter {
  /** True to ingest this remote file. */
  accepts(file: RemoteFile): boolean;
  /** True to land this entry; false drops it silently. Throw to fail the source file. */
  keepsEntry?(entry: { name: string }, context: FileContext): boolean;
  /**
   * Called after the last entry of a file, with every entry staged so far (its name, key, size
   * and sha256), in archive order. Returns the names to drop before commit; throws to fail the
   * file (e.g. a manifest entry missing or not matching its stated hash).
   */
  finishFile?(staged: readonly StagedEntry[], context: FileContext): readonly string[] | void;
}
