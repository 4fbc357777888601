import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { OctoError, type OctoErrorKind } from '../errors/octo-error.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteFile } from '../ports/remote-source.js';
import { sourceIdentity } from '../rules/source-path.js';

/** Where the failure records of a provider live in its bucket, beside the ledger. */
export const QUARANTINE_PREFIX = '_octo/quarantine/';

/** The failures of one delivery of a source file (path, size, mtime), as kept in the bucket. */
export interface FailureRecord {
  readonly version: 1;
  readonly provider: string;
  readonly path: string;
  /** The path's exact bytes, percent-encoded, when its name is not UTF-8. */
  readonly rawPath?: string;
  /** The delivery that failed: a file with another size or mtime is a new delivery and starts again at one attempt. */
  readonly size: number;
  readonly mtimeMs: number;
  /** Runs in which this delivery failed. */
  readonly attempts: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  readonly lastKind: OctoErrorKind;
  readonly lastReason: string;
  readonly lastJobId: string;
}

/** A failure record with whether it is quarantined under the provider's `quarantine.after`. */
export interface QuarantineEntry extends FailureRecord {
  readonly quarantined: boolean;
}

/**
 * The failures of a provider's files, one small object per source path in the provider's
 * bucket (`_octo/quarantine/<provider>/`), so every process and machine sees the same counts.
 * A delivery that failed `after` runs is quarantined: a run skips it until it is released
 * ({@link release}), it lands, or it changes (another size or mtime is a new delivery).
 * Only one run of a provider writes at a time (the provider lock), so read-then-write is safe.
 */
export class QuarantineBook {
  /**
   * @param after failed runs before a delivery is quarantined (`quarantine.after`); 0: never.
   */
  constructor(
    private readonly store: ObjectStore,
    private readonly provider: string,
    private readonly after: number,
  ) {}

  /** The record's key: one per source path (its {@link sourceIdentity}), whatever its size and mtime. */
  static keyFor(provider: string, file: Pick<RemoteFile, 'path' | 'rawPath'>): string {
    const pathHash = createHash('sha256').update(sourceIdentity(file)).digest('hex').slice(0, 40);
    return `${QUARANTINE_PREFIX}${provider}/${pathHash}.json`;
  }

  /** Every failure record of the provider, by path, each with whether it is quarantined now. */
  async entries(): Promise<QuarantineEntry[]> {
    const found: QuarantineEntry[] = [];
    try {
      for await (const object of this.store.list(`${QUARANTINE_PREFIX}${this.provider}/`)) {
        const record = await this.read(object.key);
        if (record) found.push({ ...record, quarantined: this.isQuarantinedRecord(record) });
      }
    } catch (error) {
      throw new OctoError('ledger', `cannot read the quarantine of provider ${this.provider} in ${this.store.description}: ${(error as Error).message}`, { cause: error, fatal: true });
    }
    return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Whether this delivery of the file is quarantined, given the provider's records (from {@link entries}). */
  quarantinedOf(file: RemoteFile, entries: ReadonlyMap<string, FailureRecord>): FailureRecord | undefined {
    const record = entries.get(sourceIdentity(file));
    return record && sameDelivery(record, file) && this.isQuarantinedRecord(record) ? record : undefined;
  }

  /**
   * Counts one more failed run of the file (one, when the record was of another delivery) and
   * returns the record as written; `quarantined` says whether this failure put it in quarantine.
   */
  async recordFailure(file: RemoteFile, failure: { readonly kind: OctoErrorKind; readonly reason: string; readonly jobId: string }, earlier: FailureRecord | undefined): Promise<QuarantineEntry> {
    const now = new Date().toISOString();
    const previous = earlier && sameDelivery(earlier, file) ? earlier : undefined;
    const record: FailureRecord = {
      version: 1,
      provider: this.provider,
      path: file.path,
      ...(file.rawPath === undefined ? {} : { rawPath: file.rawPath }),
      size: file.size,
      mtimeMs: file.mtimeMs,
      attempts: (previous?.attempts ?? 0) + 1,
      firstFailedAt: previous?.firstFailedAt ?? now,
      lastFailedAt: now,
      lastKind: failure.kind,
      lastReason: failure.reason,
      lastJobId: failure.jobId,
    };
    await this.store.putSmall(QuarantineBook.keyFor(this.provider, file), `${JSON.stringify(record, null, 2)}\n`, { 'content-type': 'application/json' });
    return { ...record, quarantined: this.isQuarantinedRecord(record) };
  }

  /** Forgets the failures of a file that landed. */
  async clear(file: Pick<RemoteFile, 'path' | 'rawPath'>): Promise<void> {
    await this.store.delete(QuarantineBook.keyFor(this.provider, file));
  }

  /**
   * Releases every record of `path` (the readable path, as `octo pending` lists it): the next
   * run tries the file again, counting from zero. Returns what was released; none is an error
   * that names the quarantined paths.
   */
  async release(path: string): Promise<QuarantineEntry[]> {
    const entries = await this.entries();
    const matching = entries.filter((entry) => entry.path === path);
    if (matching.length === 0) {
      const quarantined = entries.filter((entry) => entry.quarantined).map((entry) => entry.path);
      const known = quarantined.length > 0 ? `the quarantined files are: ${quarantined.join(', ')}` : 'nothing is quarantined';
      throw new OctoError('config', `${path} is not quarantined for provider ${this.provider}: ${known} (see octo pending ${this.provider})`);
    }
    for (const entry of matching) await this.store.delete(QuarantineBook.keyFor(this.provider, entry));
    return matching;
  }

  private isQuarantinedRecord(record: FailureRecord): boolean {
    return this.after > 0 && record.attempts >= this.after;
  }

  private async read(key: string): Promise<FailureRecord | undefined> {
    const body = await this.store.get(key);
    if (!body) return undefined;
    try {
      const record = JSON.parse(await text(body)) as FailureRecord;
      return record.version === 1 ? record : undefined;
    } catch {
      // A record cut short by a crash counts as no failure: the file is simply tried again.
      return undefined;
    }
  }
}

/** Records keyed by the source identity they name, for {@link QuarantineBook.quarantinedOf}. */
export function byIdentity(records: readonly FailureRecord[]): Map<string, FailureRecord> {
  return new Map(records.map((record) => [sourceIdentity(record), record]));
}

/** The same delivery: a file with another size or mtime is new, whatever failed before. */
function sameDelivery(record: FailureRecord, file: Pick<RemoteFile, 'size' | 'mtimeMs'>): boolean {
  return record.size === file.size && record.mtimeMs === file.mtimeMs;
}
