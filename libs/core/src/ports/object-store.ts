import type { Readable } from 'node:stream';

/** Metadata stored with every landed object (provenance for auditors). */
export type ObjectMetadata = Readonly<Record<string, string>>;

/** What a staged object became once written. */
export interface StagedObject {
  readonly key: string;
  readonly size: number;
  /** Hex sha256 of the object's bytes. */
  readonly sha256: string;
}

/** Options of one staged put. */
export interface PutOptions {
  /**
   * Commit only if no object has the key by then (S3 `If-None-Match: *`, a local `link()`);
   * otherwise commit fails with kind `route`. For keys no source owned before, so an object
   * that Octo did not claim (written before key ownership, or by another tool) is never replaced.
   */
  readonly ifAbsent?: boolean;
}

/**
 * How a later run finds one staged output again (for a commit intent): the output and the
 * store's own handle for its staged bytes (an S3 upload id, a staged file's bucket-relative path).
 */
export interface StagedRef extends StagedObject {
  readonly ref: string;
  /** The put's {@link PutOptions.ifAbsent}: a commit that rolls it forward applies the same condition. */
  readonly ifAbsent?: boolean;
}

/** What {@link Staging.commit} sets on the outputs it makes visible. */
export interface CommitOptions {
  /**
   * Tags for every output. A store that can set them in the very request that makes an output
   * visible (S3: the PutObject of an output written whole) does, and lists those outputs in
   * {@link Staging.tagged}; the caller tags the others with {@link ObjectStore.tag}.
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Options of one staging. */
export interface StagingOptions {
  /** The job the staging belongs to: staged state is kept under its run, for cleanup after a crash. */
  readonly runId?: string;
}

/**
 * A set of writes that become visible together on {@link Staging.commit}, or not at all.
 * Nothing written through a staging is visible (listable or readable) before commit.
 */
export interface Staging {
  /** Streams `body` to `key`, staged. Resolves once every byte is durably staged. */
  put(key: string, body: Readable, metadata?: ObjectMetadata, options?: PutOptions): Promise<StagedObject>;
  /** Drops one staged object (a rule decided it must not land); the others stay staged. */
  discard(key: string): Promise<void>;
  /** Makes every staged object visible (with `options.tags` where the store can set them at once). */
  commit(options?: CommitOptions): Promise<void>;
  /** The outputs that became visible already carrying {@link CommitOptions.tags}; stores that never do leave this out. */
  tagged?(): readonly string[];
  /** Drops every staged object and any temporary state; safe after a failed put or commit. */
  abort(): Promise<void>;
  /** Handles to every staged output (after the puts, before commit): what a commit intent records. */
  refs(): StagedRef[];
  /**
   * Undoes a commit that could not finish: deletes the outputs it already made visible and
   * drops the rest. A failed commit may be retried before this; after it the staging is spent.
   */
  rollback(): Promise<void>;
}

/** A staging reopened from a dead run's handles, with the outputs that could not be found again. */
export interface ResumedStaging {
  readonly staging: Staging;
  /** Outputs whose staged bytes are gone and that are not visible either: rolling forward is impossible. */
  readonly missing: readonly string[];
}

/** Staged state still open in a store (an open multipart upload, a staging folder). */
export interface OpenStagedState {
  /** The store's handle, for {@link ObjectStore.dropStaged}. */
  readonly ref: string;
  /** The key it would become, when the store knows it. */
  readonly key?: string;
  /** When it was started, by the store's clock. */
  readonly startedAt: Date;
  /**
   * The run it belongs to, when the store can tell (the local store names staging folders
   * after their run and process; the S3 store journals each key before its upload starts).
   * State without an owner is not Octo's and is never dropped.
   */
  readonly owner?: { readonly runId: string; readonly host?: string; readonly pid?: number };
}

/** One object as a listing returns it. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** When it was last written, by the store's clock. */
  readonly lastModified?: Date;
}

/** A bucket (with an optional key prefix) where outputs and the ledger live. */
export interface ObjectStore {
  /** E.g. `file:///var/octo/buckets/acme` or `s3://acme-bucket/prefix`. */
  readonly description: string;
  /** Starts a staging for one source file's outputs. */
  begin(options?: StagingOptions): Staging;
  /**
   * Reopens the outputs a dead run staged, from a commit intent's handles: the staging's
   * `commit()` is the normal commit path (so every condition on it applies), `rollback()`
   * removes what became visible. Outputs already visible count as committed.
   */
  resume(refs: readonly StagedRef[], options?: StagingOptions): Promise<ResumedStaging>;
  /** Staged state (open uploads, staging folders) under this store's bucket and prefix, oldest first. */
  openStaged(): AsyncIterable<OpenStagedState>;
  /** Drops one piece of staged state found by {@link openStaged}; its bytes never become visible. */
  dropStaged(state: OpenStagedState): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** The object's bytes, or `undefined` when there is no such key. */
  get(key: string): Promise<Readable | undefined>;
  /** Writes a small object directly (visible at once). */
  putSmall(key: string, body: Buffer | string, metadata?: ObjectMetadata): Promise<void>;
  /**
   * Creates a small object only if no object has that key, atomically: of any number of
   * writers racing on one key, across processes and machines, exactly one gets `true`.
   * The others get `false` and the winner's bytes stay.
   */
  putSmallIfAbsent(key: string, body: Buffer | string, metadata?: ObjectMetadata): Promise<boolean>;
  /** Removes an object; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Removes many objects in fewer requests than one per key (S3: DeleteObjects, 1,000 a request); missing keys are not errors. */
  deleteMany?(keys: readonly string[]): Promise<void>;
  /** Sets tags on a landed object (S3 object tagging); stores without tags leave this out. */
  tag?(key: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Checks that the store is reachable (bucket exists, credentials work). */
  check(): Promise<void>;
  close?(): Promise<void>;
}
