import { randomUUID } from 'node:crypto';
import { resolvePath } from '../config/load-config.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { JobEvent, JobEventListener, JobSummary } from '../ports/job-events.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import { JobConflictError } from './job-conflict-error.js';
import { ProviderLock } from './provider-lock.js';

/** Options a caller may choose for a job; everything else comes from config. */
export interface StartJobOptions {
  readonly dryRun?: boolean;
  readonly concurrency?: number;
}

/** A running (or finished) job: its events so far, its end, and a way to cancel it. */
export interface JobHandle {
  readonly id: string;
  readonly provider: string;
  readonly dryRun: boolean;
  /** Every event so far, in order (a late subscriber replays these first). */
  readonly events: readonly JobEvent[];
  /** Calls `listener` for each future event; returns the unsubscribe function. */
  subscribe(listener: JobEventListener): () => void;
  /** Resolves with the summary when the job ends (never rejects). */
  readonly done: Promise<JobSummary>;
  /** Stops taking files and aborts those in flight; nothing partial becomes visible. */
  cancel(): void;
  readonly finished: boolean;
}

/** Starts syncs and tracks them. */
export interface JobRunner {
  /** Starts a sync; rejects with a fatal OctoError (`kind: 'config'`) when the provider is already syncing or unknown. */
  start(provider: string, options?: StartJobOptions): Promise<JobHandle>;
  get(id: string): JobHandle | undefined;
  /** The running job of a provider, if any. */
  running(provider: string): JobHandle | undefined;
  list(): JobHandle[];
}


/** Runs jobs in this process (the embedded default), one per provider at a time. */
export class InProcessJobRunner implements JobRunner {
  private readonly jobs = new Map<string, JobHandle>();
  private readonly byProvider = new Map<string, JobHandle>();

  constructor(
    private readonly factory: ProviderFactory,
    private readonly loaded: LoadedConfig,
    private readonly hooks: { onEvent?: (event: JobEvent, job: JobHandle) => void } = {},
    /** Finished jobs kept in memory (with their events); older ones are forgotten. */
    private readonly maxFinishedJobs = 100,
  ) {}

  async start(provider: string, options: StartJobOptions = {}): Promise<JobHandle> {
    const current = this.byProvider.get(provider);
    if (current) throw new JobConflictError(provider, current.id);
    const handle = await this.factory.create(provider);
    const id = randomUUID();
    const workDir = resolvePath(this.loaded.baseDir, this.loaded.config.workDir);
    const lock = options.dryRun ? undefined : await ProviderLock.acquire(workDir, provider, id);
    const job = new RunningJob(id, provider, options.dryRun ?? false, (event, self) => this.hooks.onEvent?.(event, self));
    this.jobs.set(id, job);
    this.byProvider.set(provider, job);
    job.run(
      handle.syncJob().run({ jobId: id, dryRun: options.dryRun, concurrency: options.concurrency, signal: job.signal, onEvent: job.emit }),
      async () => {
        this.byProvider.delete(provider);
        await lock?.release();
        this.forgetOldJobs();
      },
    );
    return job;
  }

  /** Keeps the newest finished jobs only, so a long-running process does not grow; job reports keep the rest. */
  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((job) => job.finished);
    for (const job of finished.slice(0, Math.max(0, finished.length - this.maxFinishedJobs))) this.jobs.delete(job.id);
  }

  get(id: string): JobHandle | undefined {
    return this.jobs.get(id);
  }

  running(provider: string): JobHandle | undefined {
    return this.byProvider.get(provider);
  }

  list(): JobHandle[] {
    return [...this.jobs.values()];
  }
}

/** A job of the in-process runner: keeps its events for late subscribers and fans them out. */
class RunningJob implements JobHandle {
  readonly events: JobEvent[] = [];
  done!: Promise<JobSummary>;
  private readonly listeners = new Set<JobEventListener>();
  private readonly controller = new AbortController();
  private ended = false;

  constructor(
    readonly id: string,
    readonly provider: string,
    readonly dryRun: boolean,
    private readonly observe: (event: JobEvent, job: JobHandle) => void,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get finished(): boolean {
    return this.ended;
  }

  readonly emit = (event: JobEvent): void => {
    this.events.push(event);
    this.observe(event, this);
    for (const listener of this.listeners) listener(event);
  };

  run(summary: Promise<JobSummary>, cleanup: () => Promise<void>): void {
    this.done = summary.finally(async () => {
      this.ended = true;
      await cleanup();
    });
  }

  subscribe(listener: JobEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cancel(): void {
    this.controller.abort();
  }
}
