import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { OctoError, type OctoErrorKind } from '../errors/octo-error.js';
import type { FileResult, JobEvent, JobStatus, JobSummary, Progress } from '../ports/job-events.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { RemoteFile } from '../ports/remote-source.js';
import { progressPercent } from '../jobs/progress-percent.js';
import type { SyncJob } from '../pipeline/sync-job.js';
import type { FileJobData, FileJobResult } from './file-job.js';
import { fileJobId } from './file-job-id.js';
import { cancelKey } from './queue-names.js';

/** How often the parent looks for a cancel from another process, and re-reads its children (events missed while Redis was away). */
const CANCEL_POLL_MS = 1_000;
const RECONCILE_MS = 5_000;

/** What a distributed sync runs on: the provider's file queue, its events, and Redis for the cancel flag. */
export interface DistributedSyncDeps {
  readonly queue: Queue<FileJobData, FileJobResult>;
  readonly events: QueueEvents;
  readonly redis: Redis;
  readonly logger?: Logger;
}

/** One sync in distributed mode. */
export interface DistributedSyncOptions {
  readonly provider: string;
  readonly jobId: string;
  /** Files at once across every worker (the file queue's global concurrency). */
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly onEvent: (event: JobEvent) => void;
}

/**
 * The parent of a distributed sync, in the process that started it (holding the provider's
 * lock): recovery and discovery as an in-process run does them, then one file job per pending
 * file (deterministic ids, see {@link fileJobId}) for any worker to take, and the parent's
 * events and summary made from its children's results as they end. A cancel (here, or a flag
 * another process set) removes the files not started and tells workers to abort the others.
 */
export async function runDistributedSync(syncJob: SyncJob, options: DistributedSyncOptions, deps: DistributedSyncDeps): Promise<JobSummary> {
  const { provider, jobId } = options;
  const logger = deps.logger ?? silentLogger;
  const startedAt = new Date();
  const emit = options.onEvent;
  const results = new Map<string, FileResult>();
  let pending: RemoteFile[] = [];
  let jobError: { kind: OctoErrorKind; reason: string } | undefined;
  let end: (() => Promise<void>) | undefined;
  // Stops the files: a cancel (here, or another process's flag) or a fatal error of one file.
  const stop = new AbortController();
  options.signal.addEventListener('abort', () => stop.abort('cancelled'), { once: true });
  try {
    const begun = await syncJob.beginRun(jobId, options.signal);
    pending = begun.pending;
    end = begun.end;
  } catch (error) {
    const wrapped = OctoError.wrap('source', error);
    jobError = { kind: options.signal.aborted ? 'cancelled' : wrapped.kind, reason: wrapped.message };
  }
  const totalBytes = pending.reduce((sum, file) => sum + file.size, 0);
  if (!jobError) {
    emit({ type: 'job.started', jobId, provider, total: pending.length, totalBytes, at: new Date().toISOString() });
    logger.info('listed the drop; queueing one job per file', { provider, jobId, pending: pending.length, bytes: totalBytes });
    try {
      jobError = await followChildren(pending, options, deps, stop, results, emit);
    } catch (error) {
      const wrapped = OctoError.wrap('store', error);
      jobError = { kind: wrapped.kind, reason: `cannot queue or follow the file jobs in Redis: ${wrapped.message}` };
    }
  }
  await end?.().catch(() => undefined);
  await deps.redis.del(cancelKey(jobId)).catch(() => undefined);
  const files = [...results.values()].sort((a, b) => a.path.localeCompare(b.path));
  const failed = files.filter((file) => file.status === 'failed').length;
  const status: JobStatus = options.signal.aborted || stop.signal.reason === 'cancelled' ? 'cancelled' : jobError ? 'failed' : failed > 0 ? 'partial' : 'succeeded';
  const finishedAt = new Date();
  const done = files.filter((file) => file.status === 'done');
  return {
    jobId,
    provider,
    status,
    dryRun: false,
    total: pending.length,
    succeeded: done.length,
    failed,
    bytesIn: done.reduce((sum, file) => sum + file.size, 0),
    bytesOut: done.reduce((sum, file) => sum + file.outputs.reduce((bytes, output) => bytes + output.size, 0), 0),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    files,
    ...(jobError ? { error: jobError } : {}),
  };
}

/**
 * Queues the files and follows their jobs until each has a result, or was removed unstarted by
 * a cancel; then removes the jobs, so a later delivery of the same file can be queued again.
 * Returns the job's error when a file's error stopped every file.
 */
async function followChildren(
  files: readonly RemoteFile[],
  options: DistributedSyncOptions,
  deps: DistributedSyncDeps,
  stop: AbortController,
  results: Map<string, FileResult>,
  emit: (event: JobEvent) => void,
): Promise<{ kind: OctoErrorKind; reason: string } | undefined> {
  const { provider, jobId } = options;
  const logger = deps.logger ?? silentLogger;
  const byId = new Map(files.map((file) => [fileJobId(provider, file), file]));
  const started = new Set<string>();
  const bytes = new Map<string, number>();
  const settled = new Set<string>();
  let jobError: { kind: OctoErrorKind; reason: string } | undefined;
  let wake: () => void = () => undefined;

  const progress = (): Progress => {
    const filesDone = results.size;
    const total = files.length;
    const bytesDone = [...byId].reduce((sum, [id, file]) => sum + (results.has(file.path) || settled.has(id) ? file.size : (bytes.get(id) ?? 0)), 0);
    return { filesDone, filesTotal: total, percent: progressPercent(filesDone, total), bytesDone, bytesTotal: files.reduce((sum, file) => sum + file.size, 0) };
  };
  const markStarted = (id: string) => {
    const file = byId.get(id);
    if (!file || started.has(id) || settled.has(id)) return;
    started.add(id);
    emit({ type: 'file.started', jobId, path: file.path, size: file.size, at: new Date().toISOString() });
  };
  const settle = (id: string, result: FileJobResult | undefined) => {
    const file = byId.get(id);
    if (!file || settled.has(id)) return;
    settled.add(id);
    if (result) {
      markStarted(id);
      const { fatal, ...fileResult } = result;
      results.set(file.path, fileResult);
      const attempt = fileResult.attempt === undefined ? {} : { attempt: fileResult.attempt };
      const at = new Date().toISOString();
      if (fileResult.status === 'done') emit({ type: 'file.done', jobId, path: file.path, outputs: fileResult.outputs, durationMs: fileResult.durationMs, progress: progress(), at, ...attempt });
      else emit({ type: 'file.failed', jobId, path: file.path, kind: fileResult.kind, reason: fileResult.reason, durationMs: fileResult.durationMs, progress: progress(), at, ...attempt });
      if (fatal && fileResult.status === 'failed' && !jobError) {
        jobError = { kind: fileResult.kind, reason: fileResult.reason };
        stop.abort('fatal');
      }
    }
    wake();
  };
  // A job BullMQ gave up on (it stalled too often, or its worker threw) is a failed file, said so.
  const failedJob = (id: string, reason: string): FileJobResult => {
    const file = byId.get(id);
    return { path: file?.path ?? id, size: file?.size ?? 0, status: 'failed', kind: 'internal', reason: `${file?.path ?? id}: its file job failed in the queue (${reason}); the next run takes it again`, durationMs: 0 };
  };
  const resultOf = (job: Job<FileJobData, FileJobResult> | undefined, id: string): FileJobResult | 'running' | 'gone' => {
    if (!job) return 'gone';
    if (job.finishedOn && job.returnvalue) return job.returnvalue;
    if (job.finishedOn && job.failedReason) return failedJob(id, job.failedReason);
    return 'running';
  };

  const listeners = {
    active: ({ jobId: id }: { jobId: string }) => markStarted(id),
    progress: ({ jobId: id, data }: { jobId: string; data: unknown }) => {
      const file = byId.get(id);
      const read = typeof data === 'object' && data !== null ? (data as { bytes?: unknown }).bytes : undefined;
      if (!file || settled.has(id) || typeof read !== 'number') return;
      markStarted(id);
      bytes.set(id, read);
      emit({ type: 'file.progress', jobId, path: file.path, bytes: read, size: file.size, at: new Date().toISOString() });
    },
    completed: ({ jobId: id, returnvalue }: { jobId: string; returnvalue: unknown }) => settle(id, parseResult(returnvalue) ?? failedJob(id, 'its result could not be read')),
    failed: ({ jobId: id, failedReason }: { jobId: string; failedReason: string }) => {
      if (byId.has(id)) void deps.queue.getJob(id).then((job) => (job?.finishedOn ? settle(id, failedJob(id, failedReason)) : undefined), () => undefined);
    },
  };
  // Listening before the jobs exist: an event of a fast file is never missed.
  deps.events.on('active', listeners.active);
  deps.events.on('progress', listeners.progress);
  deps.events.on('completed', listeners.completed);
  deps.events.on('failed', listeners.failed);
  const cancelled = async () => {
    // Files not started are taken back; workers abort the others (they watch the same flag).
    await deps.redis.set(cancelKey(jobId), '1', 'EX', 24 * 3600);
    for (const id of byId.keys()) {
      if (settled.has(id)) continue;
      const job = await deps.queue.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (!job || state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
        await job?.remove().catch(() => undefined);
        if (!(job && (await deps.queue.getJob(id)))) settle(id, undefined);
      }
    }
  };
  const timers: NodeJS.Timeout[] = [];
  try {
    await deps.queue.setGlobalConcurrency(options.concurrency);
    await deps.queue.addBulk(
      [...byId].map(([id, file]) => ({
        name: 'file',
        data: { provider, jobId, file },
        // attempts 1: a failed file is a result (the job completes); only a stalled job is delivered again.
        opts: { jobId: id, removeOnComplete: false, removeOnFail: false },
      })),
    );
    let cancelling: Promise<void> | undefined;
    const onStop = () => (cancelling ??= cancelled().catch((error: Error) => logger.warn('cannot take back the queued files of a cancelled job', { jobId, error: error.message })));
    stop.signal.addEventListener('abort', () => void onStop(), { once: true });
    timers.push(
      setInterval(() => {
        void deps.redis.exists(cancelKey(jobId)).then((flag) => (flag ? stop.abort('cancelled') : undefined), () => undefined);
      }, CANCEL_POLL_MS),
      setInterval(() => {
        for (const id of byId.keys()) {
          if (settled.has(id)) continue;
          void deps.queue.getJob(id).then((job) => {
            const result = resultOf(job, id);
            if (result === 'gone') settle(id, stop.signal.aborted ? undefined : failedJob(id, 'the job was removed from the queue'));
            else if (result !== 'running') settle(id, result);
          }, () => undefined);
        }
      }, RECONCILE_MS),
    );
    while (settled.size < byId.size) await new Promise<void>((resolve) => (wake = resolve));
    await cancelling;
  } finally {
    for (const timer of timers) clearInterval(timer);
    deps.events.off('active', listeners.active);
    deps.events.off('progress', listeners.progress);
    deps.events.off('completed', listeners.completed);
    deps.events.off('failed', listeners.failed);
    // Their ids are free again: a resend of the same bytes, or a failed file, is queued by the next run.
    for (const id of byId.keys()) await deps.queue.remove(id).catch(() => undefined);
  }
  return jobError;
}

function parseResult(value: unknown): FileJobResult | undefined {
  const parsed = typeof value === 'string' ? (safeJson(value) as FileJobResult | undefined) : (value as FileJobResult | undefined);
  return parsed && typeof parsed === 'object' && typeof parsed.path === 'string' ? parsed : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
