import type { ResendPolicy } from '../config/failure-policy-schema.js';
import type { ResendOf } from '../ports/ledger.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteFile } from '../ports/remote-source.js';
import { sourceIdentity } from '../rules/source-path.js';
import { ContentIndex } from './content-index.js';

/**
 * Tells a resend (bytes whose sha256 an earlier file of the provider delivered under another
 * path) from new content, and remembers what landed. The same path again is not a resend: the
 * ledger's `supersedes` covers it.
 */
export class ResendDetector {
  private readonly index: ContentIndex;

  constructor(
    store: ObjectStore,
    private readonly provider: string,
    private readonly policy: ResendPolicy,
    private readonly logger: Logger = silentLogger,
  ) {
    this.index = new ContentIndex(store, provider);
  }

  /** Readies the lookups of a run of `files` new files (see {@link ContentIndex.listFor}). */
  async expect(files: number): Promise<void> {
    await this.index.listFor(files);
  }

  /** The run is over: lookups go to the store again. */
  endRun(): void {
    this.index.forget();
  }

  /** The earlier delivery these bytes repeat, with what the provider's `resend` policy does; none for new content. */
  async resendOf(file: Pick<RemoteFile, 'path' | 'rawPath'>, sha256: string): Promise<ResendOf | undefined> {
    const first = await this.index.find(sha256);
    if (!first || sourceIdentity(first) === sourceIdentity(file)) return undefined;
    return {
      path: first.path,
      ...(first.rawPath === undefined ? {} : { rawPath: first.rawPath }),
      size: first.size,
      mtimeMs: first.mtimeMs,
      jobId: first.jobId,
      ingestedAt: first.ingestedAt,
      policy: this.policy,
    };
  }

  /** Remembers a landed file's bytes; a failure is logged (the file did land), and only resends of it go unnoticed. */
  async remember(file: Pick<RemoteFile, 'path' | 'rawPath' | 'size' | 'mtimeMs'>, sha256: string, jobId: string): Promise<void> {
    try {
      await this.index.remember(file, sha256, jobId);
    } catch (error) {
      this.logger.warn(`provider ${this.provider}: ${file.path} landed, but its sha256 could not be added to the content index, so a resend of it will not be recognised: ${(error as Error).message}`, {
        provider: this.provider,
        path: file.path,
      });
    }
  }
}
