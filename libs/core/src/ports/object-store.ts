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
 * A set of writes that become visible together on {@link Staging.commit}, or not at all.
 * Nothing written through a staging is visible (listable or readable) before commit.
 */
export interface Staging {
  /** Streams `body` to `key`, staged. Resolves once every byte is durably staged. */
  put(key: string, body: Readable, metadata?: ObjectMetadata, options?: PutOptions): Promise<StagedObject>;
  /** Drops one staged object (a rule decided it must not land); the others stay staged. */
  discard(key: string): Promise<void>;
  /** Makes every staged object visible. */
  commit(): Promise<void>;
  /** Drops every staged object and any temporary state; safe after a failed put or commit. */
  abort(): Promise<void>;
}

/** One object as a listing returns it. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
}

/** A bucket (with an optional key prefix) where outputs and the ledger live. */
export interface ObjectStore {
  /** E.g. `file:///var/octo/buckets/acme` or `s3://acme-bucket/prefix`. */
  readonly description: string;
  /** Starts a staging for one source file's outputs. */
  begin(): Staging;
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
  /** Sets tags on a landed object (S3 object tagging); stores without tags leave this out. */
  tag?(key: string, tags: Readonly<Record<string, string>>): Promise<void>;
  /** Checks that the store is reachable (bucket exists, credentials work). */
  check(): Promise<void>;
  close?(): Promise<void>;
}
