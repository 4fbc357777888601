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
  /** The sha256s the index held when {@link listFor} listed it, plus those remembered since; none until then. */
  private known: Set<string> | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly provider: string,
  ) {}

  /**
   * Lists the index once for a run of `files` new files, when that costs fewer requests than a
   * GET per file (one LIST per 1,000 entries, at most a quarter of the files' GETs): {@link find}
   * then asks the store only for bytes the listing holds. Safe for the run that listed, since
   * under the provider lock only it adds entries, and it knows its own. A listing that would cost
   * more is abandoned, and every file is looked up as before.
   */
  async listFor(files: number): Promise<void> {
    this.known = undefined;
    const pages = Math.floor(files / 4);
    if (pages < 1) return;
    const prefix = `${CONTENT_INDEX_PREFIX}${this.provider}/`;
    const known = new Set<string>();
    try {
      for await (const object of this.store.list(prefix)) {
        known.add(object.key.slice(prefix.length).replace(/\.json$/, ''));
        if (known.size > pages * 1000) return;
      }
    } catch {
      // Not listed: every file is looked up by its own GET, which reports its own error.
      return;
    }
    this.known = known;
  }

  static keyFor(provider: string, sha256: string): string {
    return `${CONTENT_INDEX_PREFIX}${provider}/${sha256}.json`;
  }

  /** Ends what {@link listFor} knew: after its run, others may add entries. */
  forget(): void {
    this.known = undefined;
  }

  /** The first delivery of these bytes, if any landed. */
  async find(sha256: string): Promise<ContentEntry | undefined> {
    if (this.known && !this.known.has(sha256)) return undefined;
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
    this.known?.add(sha256);
    await this.store.putSmallIfAbsent(ContentIndex.keyFor(this.provider, sha256), `${JSON.stringify(entry, null, 2)}\n`, { 'content-type': 'application/json' });
  }
}
