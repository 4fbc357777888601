import type { OctoErrorKind } from '../errors/octo-error.js';
import type { ProviderContext } from '../ports/identifiers.js';
import type { FileResult, SkippedFile } from '../ports/job-events.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteFile } from '../ports/remote-source.js';
import { sourceIdentity } from '../rules/source-path.js';
import { byIdentity, QuarantineBook, type FailureRecord } from './quarantine-book.js';
import { inRunOrder } from './run-order.js';

/**
 * Failures that are not the delivery's: the source, the store or the ledger could not be
 * reached or refused a call, a secret could not be read, a login or host key failed. The same
 * file would land once that is put right, so these never count toward quarantine (an S3
 * outage over three polls must not leave every file of the drop waiting for octo retry).
 */
const NOT_THE_FILES_FAULT: ReadonlySet<OctoErrorKind> = new Set(['source', 'store', 'ledger', 'secret', 'auth', 'hostkey', 'cancelled']);

/** What a run attempts, in order, and what it leaves and why. */
export interface RunPlan {
  readonly attempt: RemoteFile[];
  readonly skipped: SkippedFile[];
}

/**
 * A provider's answer, for one run, to files that fail: the order files start in (`order`),
 * one at a time when `sequential`, quarantined deliveries left out (listed, never silently),
 * each failure counted in the bucket ({@link QuarantineBook}), and whether a failure stops
 * the files after it (`onError: fail-run`, `sequential`).
 */
export class RunFailurePolicy {
  private readonly book: QuarantineBook;
  private records = new Map<string, FailureRecord>();

  constructor(
    store: ObjectStore,
    private readonly provider: ProviderContext,
    private readonly logger: Logger = silentLogger,
  ) {
    this.book = new QuarantineBook(store, provider.name, provider.config.quarantine.after);
  }

  /** Files at once: one when the provider is sequential, else `wanted`. */
  concurrency(wanted: number): number {
    return this.provider.config.sequential ? 1 : wanted;
  }

  /**
   * Orders the pending files and leaves out the quarantined ones; in sequential mode the files
   * after a quarantined one wait too, since they must be applied after it.
   */
  async plan(pending: readonly RemoteFile[]): Promise<RunPlan> {
    this.records = byIdentity(await this.book.entries());
    const attempt: RemoteFile[] = [];
    const skipped: SkippedFile[] = [];
    const ordered = inRunOrder(pending, this.provider.config.order);
    for (const [index, file] of ordered.entries()) {
      const record = this.book.quarantinedOf(file, this.records);
      if (!record) {
        attempt.push(file);
        continue;
      }
      skipped.push(quarantinedFile(this.provider.name, file, record));
      if (this.provider.config.sequential) {
        skipped.push(...notAttempted(ordered.slice(index + 1), `${file.path}, before it, is quarantined and sequential is set, so files are applied in order; release it with octo retry ${this.provider.name} ${file.path}`));
        break;
      }
    }
    return { attempt, skipped };
  }

  /**
   * Counts a failed file's run in the bucket, or forgets the failures of a file that landed. A
   * failure caused by the job stopping (a cancel, another file's fatal error) is not the file's,
   * nor one of the kinds in {@link NOT_THE_FILES_FAULT}: neither counts.
   * A record that cannot be written is logged, never fails the file a second time.
   */
  async settle(file: RemoteFile, result: FileResult, jobId: string, jobStopping: boolean): Promise<void> {
    const earlier = this.records.get(sourceIdentity(file));
    try {
      if (result.status === 'done') {
        if (earlier) await this.book.clear(file);
        return;
      }
      if (jobStopping || NOT_THE_FILES_FAULT.has(result.kind)) return;
      const written = await this.book.recordFailure(file, { kind: result.kind, reason: result.reason, jobId }, earlier);
      this.records.set(sourceIdentity(file), written);
      if (written.quarantined) {
        this.logger.warn(`provider ${this.provider.name}: ${file.path} failed ${written.attempts} runs and is quarantined: later runs skip it until octo retry ${this.provider.name} ${file.path}, or until it changes`, {
          provider: this.provider.name,
          path: file.path,
          attempts: written.attempts,
        });
      }
    } catch (error) {
      this.logger.warn(`provider ${this.provider.name}: cannot update the failure count of ${file.path} in the bucket: ${(error as Error).message}`, { provider: this.provider.name, path: file.path });
    }
  }

  /** Whether this result stops the files after it: a failure under `onError: fail-run` or `sequential`. */
  stopsAfter(result: FileResult): result is Extract<FileResult, { status: 'failed' }> {
    return result.status === 'failed' && result.kind !== 'cancelled' && (this.provider.config.onError === 'fail-run' || this.provider.config.sequential);
  }

  /** The files a failure stopped, each with the reason. */
  stopped(rest: readonly RemoteFile[], failed: Extract<FileResult, { status: 'failed' }>): SkippedFile[] {
    const why = this.provider.config.onError === 'fail-run' ? 'onError is fail-run' : 'sequential is set, so files are applied in order';
    return notAttempted(rest, `${failed.path} failed before it and ${why}; fix or release that file, and the next run takes this one`);
  }

  /** Under `onError: fail-run`, the job's error once a file failed: the job stopped there. */
  runError(failed: Extract<FileResult, { status: 'failed' }>, notStarted: number): { kind: OctoErrorKind; reason: string } | undefined {
    if (this.provider.config.onError !== 'fail-run') return undefined;
    return {
      kind: failed.kind,
      reason: `the job stopped at its first failed file (onError: fail-run): ${failed.reason}; ${notStarted} later file(s) were not attempted`,
    };
  }
}

function quarantinedFile(provider: string, file: RemoteFile, record: FailureRecord): SkippedFile {
  return {
    path: file.path,
    size: file.size,
    why: 'quarantined',
    reason: `quarantined after failing ${record.attempts} runs (last, ${record.lastFailedAt}: ${record.lastReason}); fix it, then release it with octo retry ${provider} ${file.path}`,
  };
}

function notAttempted(files: readonly RemoteFile[], because: string): SkippedFile[] {
  return files.map((file) => ({ path: file.path, size: file.size, why: 'not-attempted' as const, reason: `not attempted: ${because}` }));
}
