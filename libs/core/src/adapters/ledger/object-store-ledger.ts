import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { OctoError } from '../../errors/octo-error.js';
import type { Ledger, LedgerRecord } from '../../ports/ledger.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { RemoteFile } from '../../ports/remote-source.js';
import { sourceIdentity } from '../../pipeline/source-path.js';

/** Where ledger records live in a provider's bucket. */
export const LEDGER_PREFIX = '_octo/ledger/';

/**
 * The ledger kept in the object store, next to the data. A record's key encodes the
 * source file's identity (path hash, size, mtime), so finding pending files costs one
 * LIST per 1,000 records and never a GET per record.
 */
export class ObjectStoreLedger implements Ledger {
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
    try {
      for await (const object of this.store.list(`${LEDGER_PREFIX}${provider}/`)) done.add(object.key);
    } catch (error) {
      throw new OctoError('ledger', `cannot read the ledger in ${this.store.description}: ${(error as Error).message}`, { cause: error, fatal: true });
    }
    return files.filter((file) => !done.has(ObjectStoreLedger.keyFor(provider, file)));
  }

  async record(record: LedgerRecord): Promise<void> {
    const key = ObjectStoreLedger.keyFor(record.provider, record);
    await this.store.putSmall(key, `${JSON.stringify(record, null, 2)}\n`, { 'content-type': 'application/json' });
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

  async *records(provider: string): AsyncIterable<LedgerRecord> {
    for await (const object of this.store.list(`${LEDGER_PREFIX}${provider}/`)) {
      const body = await this.store.get(object.key);
      if (body) yield JSON.parse(await text(body)) as LedgerRecord;
    }
  }
}
