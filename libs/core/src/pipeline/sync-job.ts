import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject, injectable, optional } from 'inversify';
import { OctoError } from '../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../ports/identifiers.js';
import { retiredKeyOf } from '../ports/file-provenance.js';
import type { AfterIngestResult, FileResult, JobEvent, JobEventListener, JobStatus, JobSummary, PlannedConflict, PlannedFile, Progress, SkippedFile, WaitingFile } from '../ports/job-events.js';
import type { Ledger } from '../ports/ledger.js';
import { stageTotals, type StageTimings } from '../ports/stage-timings.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import { capPerPoll } from './cap-per-poll.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RemoteFile, RemoteSource } from '../ports/remote-source.js';
import type { FileHandler } from '../ports/file-handler.js';
import type { Router } from '../ports/router.js';
import { progressPercent } from '../jobs/progress-percent.js';
import { discover } from './discover.js';
import { FileProcessor } from './file-processor.js';
import { KeyOwnership } from './key-ownership.js';
import { plannedKey } from './planned-key.js';
import { IN_PROGRESS_RULE, includeGlobs, leftAsInProgress } from '../rules/include-globs.js';
import { sourceIdentity } from '../rules/source-path.js';
import { RunFailurePolicy } from '../quarantine/run-failure-policy.js';
import { Recovery } from './recovery.js';
import { StageClock } from './stage-clock.js';
import { RunRegistry } from './run-registry.js';
import { untilAborted } from '../util/until-aborted.js';
import { applyAfterIngest } from '../post-ingest/apply-after-ingest.js';
import { outsideArchive } from '../post-ingest/outside-archive.js';
import { waitingFiles, type Readiness } from './hold-for-ready.js';

/** Options for one run of a provider's sync. */
export interface SyncOptions {
  readonly jobId?: string;
  readonly dryRun?: boolean;
  /** Files at once; defaults to the provider's, then the global, concurrency. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: JobEventListener;
}

/**
 * The pipeline for one provider: discover (list, filter, drop what the ledger holds, wait
 * until stable), then process files N at a time. One bad file never stops the others: each
 * failure is reported with its kind and reason, and the job goes on.
 */
@injectable()
export class SyncJob {
  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.RemoteSource) private readonly source: RemoteSource,
    @inject(TYPES.ObjectStore) private readonly store: ObjectStore,
    @inject(TYPES.Ledger) private readonly ledger: Ledger,
    @inject(TYPES.FileHandler) private readonly handler: FileHandler,
    @inject(TYPES.Router) private readonly router: Router,
    @inject(FileProcessor) private readonly processor: FileProcessor,
    @inject(KeyOwnership) private readonly ownership: KeyOwnership,
    @inject(TYPES.Logger) @optional() private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * Registers the run in the bucket, then recovers what dead runs of this provider left
   * (see {@link Recovery}): before discovery, so a file rolled back is found pending again.
   */
  private async startRun(registry: RunRegistry, jobId: string): Promise<void> {
    await registry.start(this.provider.name, jobId);
    await new Recovery({ provider: this.provider.name, store: this.store, ledger: this.ledger, tempDir: this.provider.workDir, logger: this.logger }).run(jobId);
  }

  /** The files not yet ingested: discovered (see {@link discover}), taken by the globs and the provider, without a ledger record, stable. */
  async pending(signal?: AbortSignal): Promise<RemoteFile[]> {
    return (await this.pendingAndWaiting(signal)).pending;
  }

  /**
   * {@link pending}, the files not yet ingested that wait for their ready marker, and the paths
   * the globs would take but that are left as uploads in progress or dot files (see {@link leftAsInProgress}).
   */
  async pendingAndWaiting(signal?: AbortSignal): Promise<{ pending: RemoteFile[]; waiting: WaitingFile[]; inProgress: string[] }> {
    const sourceConfig = this.provider.config.source;
    const minAgeMs = (sourceConfig.minAgeSeconds ?? 0) * 1000;
    const globs = includeGlobs(this.provider.config);
    const unfinished = leftAsInProgress(this.provider.config);
    const archived = outsideArchive(this.provider.config.afterIngest);
    const inProgress = new Set<string>();
    let held: Readiness['waiting'] = [];
    const listed = await discover(this.source, {
      minAgeMs,
      signal,
      ready: this.provider.config.ready,
      onWaiting: (waiting) => (held = waiting),
      accepts: (file) => {
        if (!archived(file)) return false;
        if (globs(file)) return this.handler.accepts(file);
        if (unfinished(file)) inProgress.add(file.path);
        return false;
      },
    });
    // A file ingested before its marker went away is not waiting.
    const notDone = held.length === 0 ? new Set<string>() : new Set((await this.ledger.pending(this.provider.name, held)).map(sourceIdentity));
    const waiting = waitingFiles(held.filter((file) => notDone.has(sourceIdentity(file))));
    const pending = await this.stableAndCapped(await this.ledger.pending(this.provider.name, listed), signal);
    return { pending, waiting, inProgress: [...inProgress].sort() };
  }

  /** Leaves files still changing size (`stabilityCheckMs`), then caps the run (`maxFilesPerPoll`). */
  private async stableAndCapped(found: RemoteFile[], signal?: AbortSignal): Promise<RemoteFile[]> {
    const sourceConfig = this.provider.config.source;
    const minAgeMs = (sourceConfig.minAgeSeconds ?? 0) * 1000;
    let pending = found;
    const wait = sourceConfig.stabilityCheckMs ?? 0;
    if (wait > 0 && pending.length > 0) {
      await sleep(wait, undefined, { signal });
      const again = new Map((await discover(this.source, { minAgeMs, signal })).map((file) => [sourceIdentity(file), file]));
      pending = pending.filter((file) => {
        const now = again.get(sourceIdentity(file));
        return now !== undefined && now.size === file.size && now.mtimeMs === file.mtimeMs;
      });
    }
    return capPerPoll(pending, sourceConfig.maxFilesPerPoll, this.provider.name, this.logger);
  }

  /**
   * A run's first half for a runner that hands its files to other processes (distributed mode),
   * the same steps as {@link run} before its first file: the store check, the keys, the run's
   * registration and recovery, discovery. `end` deregisters the run once its files are done;
   * the caller holds the provider lock.
   */
  async beginRun(jobId: string, signal?: AbortSignal): Promise<{ pending: RemoteFile[]; end: () => Promise<void> }> {
    const registry = new RunRegistry(this.store);
    const end = async () => {
      await this.closeFiles();
      await registry.end(this.provider.name, jobId).catch(() => undefined);
    };
    try {
      await untilAborted(this.store.check(), signal, 'the job was cancelled while the store was checked');
      await untilAborted(this.processor.prepare(), signal, 'the job was cancelled while its keys were loaded');
      await untilAborted(this.startRun(registry, jobId), signal, 'the job was cancelled while dead runs were recovered');
      const pending = await untilAborted(this.pending(signal), signal, 'the job was cancelled while the source was listed');
      return { pending, end };
    } catch (error) {
      await end();
      throw error;
    }
  }

  /** Loads the keys and secrets files need, for a process that takes files one by one (a worker's {@link processOne}). */
  async prepareFiles(): Promise<void> {
    await this.processor.prepare();
  }

  /** Releases what {@link prepareFiles} and the files' reads hold: the source's connections, the decryption engine. */
  async closeFiles(): Promise<void> {
    await this.source.close().catch(() => undefined);
    await this.processor.close().catch(() => undefined);
  }

  /** Releases the source's connections (after {@link pending} alone). */
  async close(): Promise<void> {
    await this.source.close();
  }

  /** What a run would do, and the key each output would get from the provider's router (see {@link plannedKey}); writes nothing. */
  plan(files: readonly RemoteFile[], jobId: string): PlannedFile[] {
    return files.map((file) => {
      const { layers, key } = plannedKey(this.router, { provider: this.provider.name, jobId, file });
      return { path: file.path, size: file.size, layers: layers.layers, outputName: layers.outputName, key, archive: layers.archive };
    });
  }

  /**
   * The plan with every key conflict marked, before anything is written: a plain file's key
   * owned by another source path in the bucket, or planned for another file earlier in this
   * drop. An archive's entries are known only once unpacked, so only a real run finds theirs.
   */
  async withConflicts(plan: readonly PlannedFile[]): Promise<PlannedFile[]> {
    const plannedBy = new Map<string, string>();
    const out: PlannedFile[] = [];
    for (const planned of plan) {
      if (planned.archive) {
        out.push(planned);
        continue;
      }
      const inBucket = await this.ownership.conflictingOwner(planned.key, planned.path);
      const inDrop = plannedBy.get(planned.key);
      const owner = inBucket ? { path: inBucket.sourcePath, where: 'bucket' as const } : inDrop ? { path: inDrop, where: 'drop' as const } : undefined;
      if (!owner) {
        plannedBy.set(planned.key, planned.path);
        out.push(planned);
        continue;
      }
      const policy = this.ownership.policy;
      const conflict: PlannedConflict = {
        key: planned.key,
        owner: owner.path,
        where: owner.where,
        outcome: policy,
        ...(policy === 'keep-both' ? { keptAs: KeyOwnership.keepBothKey(planned.key, planned.path) } : {}),
      };
      out.push({ ...planned, conflict });
    }
    return out;
  }

  async run(options: SyncOptions = {}): Promise<JobSummary> {
    const jobId = options.jobId ?? randomUUID();
    const startedAt = new Date();
    const emit = (event: JobEvent) => options.onEvent?.(event);
    const files: FileResult[] = [];
    let bytesIn = 0;
    let bytesOut = 0;
    let total = 0;
    let totalBytes = 0;
    let plan: PlannedFile[] | undefined;
    let jobError: JobSummary['error'];
    let waiting: WaitingFile[] = [];
    let filesDone = 0;
    let bytesDone = 0;
    // Quarantined files, and those an earlier failure stopped (fail-run, sequential): listed, never silently left.
    const skipped: SkippedFile[] = [];
    const failures = new RunFailurePolicy(this.store, this.provider, this.logger);
    const progress = (): Progress => ({
      filesDone,
      filesTotal: total,
      percent: progressPercent(filesDone, total),
      bytesDone,
      bytesTotal: totalBytes,
    });

    let registry: RunRegistry | undefined;
    try {
      // Neither call takes the signal all the way down: a cancel must not wait for their timeouts.
      await untilAborted(this.store.check(), options.signal, 'the job was cancelled while the store was checked');
      // Keys and secrets now, not at the first file: a missing one fails the job even with nothing to do.
      await untilAborted(this.processor.prepare(), options.signal, 'the job was cancelled while its keys were loaded');
      if (!options.dryRun) {
        // Assigned before it starts, so the finally below ends it even when a cancel stops waiting for it.
        registry = new RunRegistry(this.store);
        await untilAborted(this.startRun(registry, jobId), options.signal, 'the job was cancelled while dead runs were recovered');
      }
      const discovered = await untilAborted(this.pendingAndWaiting(options.signal), options.signal, 'the job was cancelled while the source was listed');
      waiting = discovered.waiting;
      const { attempt: pending, skipped: left } = await failures.plan(discovered.pending);
      skipped.push(...left);
      total = pending.length;
      totalBytes = pending.reduce((sum, file) => sum + file.size, 0);
      this.logger.info('listed the drop', { provider: this.provider.name, jobId, pending: total, bytes: totalBytes, dryRun: options.dryRun ?? false });
      if (discovered.inProgress.length > 0) this.logger.info(leftInProgressMessage(discovered.inProgress), { provider: this.provider.name, jobId });
      emit({ type: 'job.started', jobId, provider: this.provider.name, total, totalBytes, at: new Date().toISOString() });
      if (options.dryRun) {
        plan = await this.withConflicts(this.plan(pending, jobId));
      } else {
        await this.processor.expect(pending);
        const queue = [...pending];
        // A fatal error (bad credentials, a key that cannot load) stops the job once, not once per file.
        const stop = new AbortController();
        options.signal?.addEventListener('abort', () => stop.abort(), { once: true });
        const workers = Math.max(1, Math.min(failures.concurrency(options.concurrency ?? this.provider.concurrency), queue.length || 1));
        await Promise.all(
          Array.from({ length: workers }, async () => {
            for (let file = queue.shift(); file && !stop.signal.aborted; file = queue.shift()) {
              let result: FileResult;
              try {
                result = await this.processOne(file, jobId, { ...options, signal: stop.signal }, emit, (delta) => (bytesDone += delta));
              } catch (error) {
                const wrapped = OctoError.wrap('internal', error);
                if (!jobError) jobError = { kind: wrapped.kind, reason: wrapped.message };
                // The reason tells the files still in flight why they stop (not a cancel).
                stop.abort(wrapped);
                break;
              }
              files.push(result);
              filesDone += 1;
              await failures.settle(file, result, jobId, stop.signal.aborted);
              if (failures.stopsAfter(result)) {
                // No file starts after this one; those in flight finish.
                const rest = queue.splice(0);
                skipped.push(...failures.stopped(rest, result));
                total -= rest.length;
                jobError ??= failures.runError(result, rest.length);
              }
              if (result.status === 'done') {
                bytesIn += result.size;
                bytesOut += result.outputs.reduce((sum, output) => sum + output.size, 0);
                emit({ type: 'file.done', jobId, path: file.path, outputs: result.outputs, durationMs: result.durationMs, ...stagesOf(result), progress: progress(), at: new Date().toISOString(), ...retiredKeyField(result) });
              } else {
                emit({ type: 'file.failed', jobId, path: file.path, kind: result.kind, reason: result.reason, durationMs: result.durationMs, ...stagesOf(result), progress: progress(), at: new Date().toISOString() });
              }
            }
          }),
        );
      }
    } catch (error) {
      const wrapped = OctoError.wrap('source', error);
      jobError = { kind: options.signal?.aborted ? 'cancelled' : wrapped.kind, reason: wrapped.message };
    } finally {
      await this.source.close().catch(() => undefined);
      await this.processor.close().catch(() => undefined);
      await registry?.end(this.provider.name, jobId).catch(() => undefined);
    }

    const failed = files.filter((file) => file.status === 'failed').length;
    const status: JobStatus = options.signal?.aborted
      ? 'cancelled'
      : jobError
        ? 'failed'
        : failed > 0
          ? 'partial'
          : 'succeeded';
    const finishedAt = new Date();
    const summary: JobSummary = {
      jobId,
      provider: this.provider.name,
      status,
      dryRun: options.dryRun ?? false,
      total,
      succeeded: files.length - failed,
      failed,
      bytesIn,
      bytesOut,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      files: [...files].sort((a, b) => a.path.localeCompare(b.path)),
      ...(options.dryRun ? {} : { stages: stageTotals(files) }),
      ...(jobError ? { error: jobError } : {}),
      ...(plan ? { plan } : {}),
      ...(waiting.length > 0 ? { waiting } : {}),
      ...(skipped.length > 0 ? { skipped } : {}),
    };
    emit({ type: 'job.finished', jobId, summary, at: finishedAt.toISOString() });
    return summary;
  }

  /** The provider's `afterIngest:` on a file whose ledger record is written; a failure is reported in its result, never thrown. */
  private async afterIngest(file: RemoteFile): Promise<AfterIngestResult | undefined> {
    const config = this.provider.config.afterIngest;
    if (!config) return undefined;
    const result = await applyAfterIngest(this.source, file, config, new Date());
    if (result.status === 'failed') this.logger.warn(result.reason ?? `${file.path}: afterIngest failed`, { provider: this.provider.name, path: file.path });
    return result;
  }

  /**
   * One file of a run with its events (`file.started`, `file.progress`) and its result: done,
   * or failed with its kind and reason. Throws only a fatal error (one that stops every file).
   * Used by {@link run}, and by a distributed worker for each file job it takes.
   */
  async processOne(
    file: RemoteFile,
    jobId: string,
    options: SyncOptions,
    emit: (event: JobEvent) => void,
    addBytes: (delta: number) => void,
  ): Promise<FileResult> {
    const started = Date.now();
    emit({ type: 'file.started', jobId, path: file.path, size: file.size, at: new Date().toISOString() });
    this.logger.debug('file started', { provider: this.provider.name, path: file.path, size: file.size });
    let seen = 0;
    let lastEmit = 0;
    const clock = new StageClock();
    try {
      const result = await this.processor.process(file, { provider: this.provider.name, jobId, file, signal: options.signal }, (total) => {
        addBytes(total - seen);
        seen = total;
        const now = Date.now();
        if (now - lastEmit >= 250 || total === file.size) {
          lastEmit = now;
          emit({ type: 'file.progress', jobId, path: file.path, bytes: total, size: file.size, at: new Date().toISOString() });
        }
      }, clock);
      this.logger.debug('file landed', { provider: this.provider.name, path: file.path, outputs: result.outputs.length, ms: Date.now() - started });
      const afterIngest = await this.afterIngest(file);
      return {
        path: file.path,
        size: file.size,
        status: 'done',
        sha256: result.sha256,
        outputs: result.outputs,
        durationMs: Date.now() - started,
        stages: clock.report(),
        ...retiredKeyOf(result.provenance),
        ...(afterIngest ? { afterIngest } : {}),
        ...(result.resendOf ? { resendOf: result.resendOf } : {}),
      };
    } catch (error) {
      // A failed file is finished too: its remaining bytes count as done so byte progress reaches 100%.
      addBytes(file.size - seen);
      const wrapped = OctoError.wrap('internal', error);
      this.logger.debug('file failed', { provider: this.provider.name, path: file.path, kind: wrapped.kind, fatal: wrapped.fatal, ms: Date.now() - started });
      if (wrapped.fatal) throw wrapped;
      return { path: file.path, size: file.size, status: 'failed', kind: wrapped.kind, reason: wrapped.message, durationMs: Date.now() - started, stages: clock.report() };
    }
  }
}

/** The file's `retiredKey`, if a retired key decrypted it (the metrics count these). */
function retiredKeyField(result: Extract<FileResult, { status: 'done' }>): { retiredKey?: string } {
  return result.retiredKey ? { retiredKey: result.retiredKey } : {};
}

/** A file result's stage timings, for its event. */
function stagesOf(result: FileResult): { stages?: StageTimings } {
  return result.stages ? { stages: result.stages } : {};
}

/** The log line that names the files a run left as uploads in progress or dot files (at most 10 of them). */
export function leftInProgressMessage(paths: readonly string[]): string {
  const shown = paths.slice(0, 10).join(', ');
  const more = paths.length > 10 ? `, and ${paths.length - 10} more` : '';
  return `left ${paths.length} file(s) the globs match: ${IN_PROGRESS_RULE} (rename them on the drop, or name the dot folder in include): ${shown}${more}`;
}
