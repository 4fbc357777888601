import { text } from 'node:stream/consumers';
import { OctoError } from '../errors/octo-error.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteFile } from '../ports/remote-source.js';

/** Where the content index of a provider lives in its bucket, beside the ledger. */
export const CONTENT_INDEX_PREFIX = '_octo/content/';

/** The first source file that delivered some bytes, keyed by their sha256. */
export interface ContentEntry {
  readonly version: 1;
  readonly provider: string;
  readonly sha256: string;
  readonly path: string;
  readonly rawPath?: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly jobId: string;
  readonly ingestedAt: string;
}

/**
 * The ledger's lookup by content: one small object per sha256 of a landed source file
 * (`_octo/content/<provider>/<sha256>.json`), naming the first path that delivered those bytes.
 * A resend is found with one GET, not by reading the whole ledger.
 */
export class ContentIndex {
  constructor(
    private readonly store: ObjectStore,
    private readonly provider: string,
  ) {}

  static keyFor(provider: string, sha256: string): string {
    return `${CONTENT_INDEX_PREFIX}${provider}/${sha256}.json`;
  }

  /** The first delivery of these bytes, if any landed. */
  async find(sha256: string): Promise<ContentEntry | undefined> {
    let body;
    try {
      body = await this.store.get(ContentIndex.keyFor(this.provider, sha256));
    } catch (error) {
      throw new OctoError('ledger', `cannot read the content index in ${this.store.description}: ${(error as Error).message}`, { cause: error });
    }
    if (!body) return undefined;
    try {
      const entry = JSON.parse(await text(body)) as ContentEntry;
      return entry.version === 1 && entry.sha256 === sha256 ? entry : undefined;
    } catch {
      // An entry cut short by a crash names nothing: the bytes count as new.
      return undefined;
    }
  }

  /** Records the file as the delivery of its bytes, unless an earlier one is recorded (the first stays). */
  async remember(file: Pick<RemoteFile, 'path' | 'rawPath' | 'size' | 'mtimeMs'>, sha256: string, jobId: string): Promise<void> {
    const entry: ContentEntry = {
      version: 1,
      provider: this.provider,
      sha256,
      path: file.path,
      ...(file.rawPath === undefined ? {} : { rawPath: file.rawPath }),
      size: file.size,
      mtimeMs: file.mtimeMs,
      jobId,
      ingestedAt: new Date().toISOString(),
    };
    await this.store.putSmallIfAbsent(ContentIndex.keyFor(this.provider, sha256), `${JSON.stringify(entry, null, 2)}\n`, { 'content-type': 'application/json' });
  }
}
