import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { OctoError } from '../../errors/octo-error.js';
import type { Ledger, LedgerRecord, LedgerWindow } from '../../ports/ledger.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { RemoteFile } from '../../ports/remote-source.js';
import { sourceIdentity } from '../../rules/source-path.js';

/** Where ledger records live in a provider's bucket. */
export const LEDGER_PREFIX = '_octo/ledger/';

/** Records fetched at once when a whole ledger is read (one GET each). */
const RECORD_READS_IN_FLIGHT = 16;

/**
 * Up to this many files, pending() lists each file's own path prefix (a request per file, its
 * size independent of the ledger's) instead of the whole ledger (a request per 1,000 records):
 * a recovery's check of one intent, or a drop holding a few files, against a ledger of years.
 */
const PER_PATH_LISTING_MAX_FILES = 4;

/** A record's object is written just after its `ingestedAt`, by another clock: this much either way is allowed. */
const CLOCK_SLACK_MS = 10 * 60_000;

/**
 * The ledger kept in the object store, next to the data. A record's key encodes the
 * source file's identity (path hash, size, mtime), so finding pending files costs one
 * LIST per 1,000 records (or, for a few files, one per file) and never a GET per record.
 */
export class ObjectStoreLedger implements Ledger {
  /** Files {@link pending} returned whose source path had no record at all in its listing. */
  private readonly unrecordedAtListing = new WeakSet<RemoteFile>();
  /** Path prefixes this ledger has written records under since (their files are no longer unrecorded). */
  private readonly recordedSince = new Set<string>();

  constructor(private readonly store: ObjectStore) {}

  /** The record key for a source file: same path, size and mtime means the same file. */
  static keyFor(provider: string, file: Pick<RemoteFile, 'path' | 'rawPath' | 'size' | 'mtimeMs'>): string {
    return `${ObjectStoreLedger.pathPrefix(provider, sourceIdentity(file))}${file.size}-${Math.floor(file.mtimeMs)}.json`;
  }

  /**
   * The key prefix every record of one source shares, whatever its size and mtime; `sourcePath`
   * is the source's {@link sourceIdentity} (its path, plus its bytes when the name is not UTF-8).
   */
  static pathPrefix(provider: string, sourcePath: string): string {
    const pathHash = createHash('sha256').update(sourcePath).digest('hex').slice(0, 40);
    return `${LEDGER_PREFIX}${provider}/${pathHash}-`;
  }

  async pending(provider: string, files: readonly RemoteFile[]): Promise<RemoteFile[]> {
    const done = new Set<string>();
    const recordedPaths = new Set<string>();
    const prefixes =
      files.length <= PER_PATH_LISTING_MAX_FILES ? [...new Set(files.map((file) => ObjectStoreLedger.pathPrefix(provider, sourceIdentity(file))))] : [`${LEDGER_PREFIX}${provider}/`];
    try {
      await Promise.all(
        prefixes.map(async (prefix) => {
          for await (const object of this.store.list(prefix)) {
            done.add(object.key);
            recordedPaths.add(pathPrefixOf(object.key));
          }
        }),
      );
    } catch (error) {
      throw new OctoError('ledger', `cannot read the ledger in ${this.store.description}: ${(error as Error).message}`, { cause: error, fatal: true });
    }
    const pending = files.filter((file) => !done.has(ObjectStoreLedger.keyFor(provider, file)));
    for (const file of pending) if (!recordedPaths.has(ObjectStoreLedger.pathPrefix(provider, sourceIdentity(file)))) this.unrecordedAtListing.add(file);
    return pending;
  }

  async record(record: LedgerRecord): Promise<void> {
    const key = ObjectStoreLedger.keyFor(record.provider, record);
    this.recordedSince.add(pathPrefixOf(key));
    await this.store.putSmall(key, `${JSON.stringify(record, null, 2)}\n`, { 'content-type': 'application/json' });
  }

  /** No request for a file whose path had no record when {@link pending} listed the ledger and has none from this ledger since. */
  async recordsOfListed(provider: string, file: RemoteFile): Promise<Array<{ key: string; record: LedgerRecord }>> {
    const sourcePath = sourceIdentity(file);
    if (this.unrecordedAtListing.has(file) && !this.recordedSince.has(ObjectStoreLedger.pathPrefix(provider, sourcePath))) return [];
    return this.recordsFor(provider, sourcePath);
  }

  async recordsFor(provider: string, sourcePath: string): Promise<Array<{ key: string; record: LedgerRecord }>> {
    const found: Array<{ key: string; record: LedgerRecord }> = [];
    try {
      for await (const object of this.store.list(ObjectStoreLedger.pathPrefix(provider, sourcePath))) {
        const body = await this.store.get(object.key);
        if (!body) continue;
        const record = JSON.parse(await text(body)) as LedgerRecord;
        if (sourceIdentity(record) === sourcePath) found.push({ key: object.key, record });
      }
    } catch (error) {
      throw new OctoError('ledger', `cannot read the ledger in ${this.store.description}: ${(error as Error).message}`, { cause: error });
    }
    return found.sort((a, b) => a.record.ingestedAt.localeCompare(b.record.ingestedAt));
  }

  async *records(provider: string, window: LedgerWindow = {}): AsyncIterable<LedgerRecord> {
    const keys: string[] = [];
    try {
      for await (const object of this.store.list(`${LEDGER_PREFIX}${provider}/`)) {
        if (outside(object.lastModified, window)) continue;
        keys.push(object.key);
      }
    } catch (error) {
      throw new OctoError('ledger', `cannot read the ledger in ${this.store.description}: ${(error as Error).message}`, { cause: error, fatal: true });
    }
    // A GET per record, several in flight: a ledger of 100,000 records is read in minutes, not hours.
    for (let start = 0; start < keys.length; start += RECORD_READS_IN_FLIGHT) {
      const batch = await Promise.all(keys.slice(start, start + RECORD_READS_IN_FLIGHT).map((key) => this.readRecord(key)));
      for (const record of batch) if (record) yield record;
    }
  }

  private async readRecord(key: string): Promise<LedgerRecord | undefined> {
    try {
      const body = await this.store.get(key);
      return body ? (JSON.parse(await text(body)) as LedgerRecord) : undefined;
    } catch (error) {
      throw new OctoError('ledger', `cannot read ledger record ${key} in ${this.store.description}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** A record key's {@link ObjectStoreLedger.pathPrefix}: everything before its size and mtime. */
function pathPrefixOf(key: string): string {
  return /^.*\/[0-9a-f]{40}-/.exec(key)?.[0] ?? key;
}

/** Whether a record written at `written` (store clock) is certainly outside `window`. */
function outside(written: Date | undefined, window: LedgerWindow): boolean {
  if (!written) return false;
  if (window.since && written.getTime() < window.since.getTime() - CLOCK_SLACK_MS) return true;
  return window.until !== undefined && written.getTime() > window.until.getTime() + CLOCK_SLACK_MS;
}
