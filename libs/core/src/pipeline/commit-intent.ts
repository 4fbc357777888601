import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { text } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { OctoError } from '../errors/octo-error.js';
import type { FileProvenance } from '../ports/file-provenance.js';
import type { Ledger, LedgerRecord, ResendOf, SupersededRecord } from '../ports/ledger.js';
import type { ObjectStore, StagedRef, Staging } from '../ports/object-store.js';
import { markSourceComplete, sourceTags } from './completion-marker.js';
import { sourceIdentity } from '../rules/source-path.js';

/** Where commit intents live in a provider's bucket: `_octo/intents/<provider>/<id>.json`. */
const INTENTS_PREFIX = '_octo/intents/';

/**
 * What a run is about to make visible for one source file, written before the first output
 * becomes visible and dropped after the ledger record is written. An intent still there at
 * the start of a later run means its run died mid-commit: the run finishes it or rolls it back.
 */
export interface CommitIntent {
  readonly version: 1;
  readonly provider: string;
  /** The job that staged the outputs (its uploads and staging folder carry this id). */
  readonly jobId: string;
  readonly host: string;
  readonly pid: number;
  /** ISO time the intent was written. */
  readonly writtenAt: string;
  /** The source file: its identity (with its name's bytes when they are not UTF-8) and the sha256 of the bytes read. */
  readonly source: { readonly path: string; readonly rawPath?: string; readonly size: number; readonly mtimeMs: number; readonly sha256: string };
  /** Every output with its key and the store's handle to its staged bytes. */
  readonly outputs: readonly StagedRef[];
  /** A resend: the earlier record its ledger record supersedes. */
  readonly supersedes?: SupersededRecord;
  /** The keys that decrypted and signed the file, carried into its ledger record. */
  readonly provenance?: FileProvenance;
  /** The same bytes landed before under another path (a resend), carried into its ledger record. */
  readonly resendOf?: ResendOf;
}

/** An intent as found in the store (the body may be unreadable: a write cut short). */
export interface FoundIntent {
  readonly key: string;
  readonly intent: CommitIntent | undefined;
}

/** Commit calls that fail are tried this many times in all, with a doubling pause in between. */
const COMMIT_ATTEMPTS = 4;
const COMMIT_BACKOFF_MS = 250;

/** Intents removed by one request when drops are batched (S3's DeleteObjects takes up to 1,000 keys). */
const DROP_BATCH = 1000;
/** A batched drop waits at most this long for others to share its request. */
const DROP_DELAY_MS = 1000;

/** Options of {@link CommitIntents}. */
export interface CommitIntentsOptions {
  /**
   * {@link CommitIntents.dropSoon} removes intents in batches, one request per up to 1,000,
   * within a second or at {@link CommitIntents.flush}, where the store can ({@link ObjectStore.deleteMany}).
   * Safe because an intent whose ledger record exists only waits to be dropped (recovery drops it).
   */
  readonly batchDrops?: boolean;
}

/** Reads and writes commit intents in a provider's bucket. */
export class CommitIntents {
  /** Keys of recorded files' intents waiting for their batched removal. */
  private dropping: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: CommitIntentsOptions = {},
  ) {}

  /** The intent's key: one per job and source path. */
  static keyFor(intent: Pick<CommitIntent, 'provider' | 'jobId' | 'source'>): string {
    const pathHash = createHash('sha256').update(sourceIdentity(intent.source)).digest('hex').slice(0, 40);
    return `${INTENTS_PREFIX}${intent.provider}/${intent.jobId}-${pathHash}.json`;
  }

  async write(intent: CommitIntent): Promise<void> {
    await this.store.putSmall(CommitIntents.keyFor(intent), `${JSON.stringify(intent)}\n`, { 'content-type': 'application/json' });
  }

  async drop(intent: CommitIntent): Promise<void> {
    await this.store.delete(CommitIntents.keyFor(intent));
  }

  async dropKey(key: string): Promise<void> {
    await this.store.delete(key);
  }

  /**
   * Drops the intent of a file whose ledger record is written: now, or with batched drops in
   * the next batch (an intent left by a crash meanwhile is dropped by the next run's recovery).
   */
  async dropSoon(intent: CommitIntent): Promise<void> {
    if (!this.options.batchDrops || !this.store.deleteMany) return this.drop(intent);
    this.dropping.push(CommitIntents.keyFor(intent));
    if (this.dropping.length >= DROP_BATCH) return this.flush();
    this.timer ??= setTimeout(() => void this.flush(), DROP_DELAY_MS).unref();
  }

  /** Removes every intent waiting for a batched drop; a failure leaves them to the next run's recovery. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const keys = this.dropping.splice(0);
    const deleteMany = this.store.deleteMany?.bind(this.store);
    if (keys.length > 0 && deleteMany) this.flushing = this.flushing.then(() => deleteMany(keys)).catch(() => undefined);
    await this.flushing;
  }

  /** Every intent of a provider, oldest key order. */
  async list(provider: string): Promise<FoundIntent[]> {
    const found: FoundIntent[] = [];
    for await (const object of this.store.list(`${INTENTS_PREFIX}${provider}/`)) {
      const body = await this.store.get(object.key);
      let intent: CommitIntent | undefined;
      try {
        intent = body ? (JSON.parse(await text(body)) as CommitIntent) : undefined;
      } catch {
        intent = undefined;
      }
      found.push({ key: object.key, intent: intent?.version === 1 ? intent : undefined });
    }
    return found;
  }
}

/** The intent for a file whose outputs are staged and about to be committed. */
export function intentFor(
  provider: string,
  jobId: string,
  source: CommitIntent['source'],
  staging: Staging,
  supersedes?: SupersededRecord,
  provenance?: FileProvenance,
  resendOf?: ResendOf,
): CommitIntent {
  return {
    version: 1,
    provider,
    jobId,
    host: hostname(),
    pid: process.pid,
    writtenAt: new Date().toISOString(),
    source,
    outputs: staging.refs(),
    ...(supersedes ? { supersedes } : {}),
    ...(provenance ? { provenance } : {}),
    ...(resendOf ? { resendOf } : {}),
  };
}

/** The ledger record an intent stands for, written once its outputs are visible. */
function recordFor(intent: CommitIntent): LedgerRecord {
  return {
    provider: intent.provider,
    path: intent.source.path,
    ...(intent.source.rawPath === undefined ? {} : { rawPath: intent.source.rawPath }),
    size: intent.source.size,
    mtimeMs: intent.source.mtimeMs,
    sha256: intent.source.sha256,
    outputs: intent.outputs.map(({ key, size, sha256 }) => ({ key, size, sha256 })),
    jobId: intent.jobId,
    ingestedAt: new Date().toISOString(),
    ...(intent.supersedes ? { supersedes: intent.supersedes } : {}),
    ...(intent.provenance ? { provenance: intent.provenance } : {}),
    ...(intent.resendOf ? { resendOf: intent.resendOf } : {}),
  };
}

/**
 * Makes a source file's staged outputs visible, safely: the intent is written first, then
 * every output is committed (a failed commit call is retried), then the completion marker and
 * the ledger record are written, then the intent is dropped. A commit that cannot finish is
 * rolled back and the intent dropped; if even that fails, or the record cannot be written
 * after the outputs became visible, the intent stays, so the next run of the provider finishes
 * or rolls back the file. Nothing is left half-visible without an intent or a record.
 */
export async function commitWithIntent(
  intents: CommitIntents,
  ledger: Ledger,
  store: ObjectStore,
  staging: Staging,
  intent: CommitIntent,
  progress: { visible: boolean } = { visible: false },
): Promise<LedgerRecord> {
  try {
    await intents.write(intent);
  } catch (error) {
    // Nothing is visible yet: the caller aborts the staging.
    throw OctoError.wrap('store', error, `${intent.source.path}: cannot write the commit intent`);
  }
  return finishCommit(intents, ledger, store, staging, intent, progress);
}

/**
 * The part of {@link commitWithIntent} after the intent exists: commit (retried), the source
 * tags and completion marker ({@link markSourceComplete}), the record, drop. A run recovering a
 * dead run's intent uses it too, so both go through one commit path and its conditions.
 *
 * A commit that cannot finish is rolled back. Once every output is visible, a failure of the
 * tags, marker or record leaves the outputs and the intent: the file is whole, and the next
 * run of the provider finishes it (the error is rethrown as it came). `progress.visible` says
 * whether outputs may be visible when this throws.
 */
export async function finishCommit(
  intents: CommitIntents,
  ledger: Ledger,
  store: ObjectStore,
  staging: Staging,
  intent: CommitIntent,
  progress: { visible: boolean } = { visible: false },
): Promise<LedgerRecord> {
  const record = recordFor(intent);
  try {
    progress.visible = true;
    // The source tags ride on the requests that make outputs visible where the store can do that.
    await retried(() => staging.commit({ tags: sourceTags(intent.source.sha256) }));
  } catch (error) {
    if (await rollBack(intents, staging, intent)) progress.visible = false;
    // A refusal (an object the file may not replace) or a fatal error keeps its own kind and words.
    if (OctoError.is(error) && (error.kind !== 'store' || error.fatal)) throw error;
    // A raw filesystem error names local paths: its code says enough.
    const reason = OctoError.is(error) ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    throw new OctoError('store', `${intent.source.path}: the commit could not finish and was rolled back (${reason}); the file is retried next run`, {
      cause: error,
    });
  }
  const marker = { provider: intent.provider, file: intent.source, sha256: intent.source.sha256, outputs: record.outputs, jobId: intent.jobId };
  await retried(() => markSourceComplete(store, { ...marker, ...(intent.supersedes ? { supersedes: intent.supersedes } : {}) }, staging.tagged?.()));
  await retried(() => ledger.record(record));
  // A drop that fails leaves an intent whose record exists: the next run just drops it.
  await intents.dropSoon(intent).catch(() => undefined);
  return record;
}

/** Removes what became visible, then the intent; leaves the intent when the store refuses. */
export async function rollBack(intents: CommitIntents, staging: Staging, intent: CommitIntent): Promise<boolean> {
  try {
    await retried(() => staging.rollback());
    await intents.drop(intent);
    return true;
  } catch {
    return false;
  }
}

/** Runs `work` up to {@link COMMIT_ATTEMPTS} times, pausing 250 ms, 500 ms, 1 s between tries; store errors only. */
async function retried<T>(work: () => Promise<T>, attempts = COMMIT_ATTEMPTS): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      lastError = error;
      // A refusal (kind route: an object the file may not replace) or a fatal error does not change on retry.
      if (OctoError.is(error) && (error.kind !== 'store' || error.fatal)) break;
      if (attempt + 1 < attempts) await sleep(COMMIT_BACKOFF_MS * 2 ** attempt);
    }
  }
  throw lastError;
}
