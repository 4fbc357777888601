import type { RemoteFile } from './remote-source.js';
import type { StagedObject } from './object-store.js';
import type { FileProvenance } from './file-provenance.js';

/** The record that marks a source file as done. */
export interface LedgerRecord {
  readonly provider: string;
  readonly path: string;
  /** The path's exact bytes, percent-encoded, when its name is not valid UTF-8 (see {@link RemoteFile.rawPath}). */
  readonly rawPath?: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
  readonly outputs: readonly StagedObject[];
  readonly jobId: string;
  /** ISO time the record was written. */
  readonly ingestedAt: string;
  /** A resend: the earlier record of the same source path that this delivery replaces. */
  readonly supersedes?: SupersededRecord;
  /** The key that decrypted the file and the key that signed it, when it was encrypted to a key or signed. */
  readonly provenance?: FileProvenance;
  /** A resend: these bytes (same sha256) were ingested before under another path; with policy `skip` nothing landed (`outputs` is empty). */
  readonly resendOf?: ResendOf;
}

/** The earlier delivery of the same bytes under another source path, and what the provider's `resend` policy did. */
export interface ResendOf {
  /** The source path that delivered these bytes first. */
  readonly path: string;
  readonly rawPath?: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly jobId: string;
  readonly ingestedAt: string;
  /** `land`: landed again; `skip`: recorded in the ledger, nothing landed. */
  readonly policy: 'land' | 'skip';
}

/** Which earlier delivery of a source path a record replaces (its ledger key and identity). */
export interface SupersededRecord {
  /** The earlier record's ledger key. */
  readonly record: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
  readonly jobId: string;
}

/** A time range of ledger writes, either end open. */
export interface LedgerWindow {
  readonly since?: Date;
  readonly until?: Date;
}

/** Which source files are done. Kept beside the data so a fresh machine knows with only the bucket. */
export interface Ledger {
  /** The files among `files` that have no record yet. */
  pending(provider: string, files: readonly RemoteFile[]): Promise<RemoteFile[]>;
  /** Writes the record; called only after the file's outputs are committed. */
  record(record: LedgerRecord): Promise<void>;
  /**
   * Every record of a provider (for `octo ledger` and audits), in no particular order. With
   * `window`, an adapter may skip records it knows were written outside it (by the store's own
   * clock, so callers still filter on `ingestedAt`).
   */
  records(provider: string, window?: LedgerWindow): AsyncIterable<LedgerRecord>;
  /** Every record of one source path (each delivery of it), oldest first, with its ledger key. */
  recordsFor(provider: string, path: string): Promise<Array<{ readonly key: string; readonly record: LedgerRecord }>>;
  /**
   * {@link recordsFor} of `file`'s source path. When `file` is one that {@link pending} returned
   * in this process, an adapter may answer from the listing `pending` made, without a request:
   * under the provider lock only this run writes the provider's records, and it takes each file
   * once. Adapters that cannot leave this out; callers then use {@link recordsFor}.
   */
  recordsOfListed?(provider: string, file: RemoteFile): Promise<Array<{ readonly key: string; readonly record: LedgerRecord }>>;
}
