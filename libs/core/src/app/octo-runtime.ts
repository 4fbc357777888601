import { createRootContainer } from '../container/create-root-container.js';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { openJobStore } from '../jobs/open-job-store.js';
import { openJobRunner } from '../jobs/open-job-runner.js';
import type { JobRunner } from '../jobs/job-runner.js';
import type { JobStore } from '../jobs/job-store.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { JobEvent } from '../ports/job-events.js';
import type { JobHandle } from '../jobs/job-runner.js';
import { ProviderFactory } from '../providers/provider-factory.js';
import type { ProviderPlugin } from '../providers/provider-plugin.js';
import { JobNotifier } from '../notify/job-notifier.js';
import { SecretResolver } from '../secrets/secret-ref.js';
import { arrivalMonitorFor } from '../arrival/arrival-monitor-for.js';
import type { ArrivalMonitor } from '../arrival/arrival-monitor.js';
import type { SchedulerClock } from '../jobs/scheduler.js';
import { lineageEmitterFor } from '../lineage/lineage-emitter-for.js';

/** Everything an app needs: the validated config, the providers, and the job runner. */
export interface OctoRuntime {
  readonly loaded: LoadedConfig;
  readonly providers: ProviderFactory;
  readonly jobs: JobRunner;
  /** Webhooks told about finished jobs; a CLI awaits `notifier.settled()` before it exits. */
  readonly notifier: JobNotifier;
  /** Arrival expectations: judged after each run here, and at each deadline by `octo serve` (its `start()`). */
  readonly arrivals: ArrivalMonitor;
  /** Every job of every process (CLI, API, workers): reports and events; Redis in distributed mode. */
  readonly jobStore: JobStore & { close?(): Promise<void> };
  /** Releases what the runtime holds open (the Redis connection of distributed mode). */
  close(): Promise<void>;
}

export interface OctoRuntimeOptions {
  /** `--config`; otherwise `OCTO_CONFIG`, then `./octo.config.*`. */
  readonly configPath?: string;
  /** An already loaded config (tests); skips the file lookup. */
  readonly loaded?: LoadedConfig;
  readonly plugins: ReadonlyArray<ProviderPlugin<unknown>>;
  readonly logger?: Logger;
  readonly cwd?: string;
  /** Where `OCTO_REDIS_URL` is read (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Time as the arrival monitor sees it (tests pass a fake one). */
  readonly clock?: SchedulerClock;
  /** Sees every job event (the API's metrics and job history). */
  readonly onEvent?: (event: JobEvent, job: JobHandle) => void;
}

/** Loads config and composes the root container, the provider factory, the job store (files in the work directory, or Redis) and the job runner (in-process, or BullMQ). */
export async function createOctoRuntime(options: OctoRuntimeOptions): Promise<OctoRuntime> {
  const loaded = options.loaded ?? (await loadConfig(options.configPath, options.cwd));
  const root = createRootContainer();
  const providers = new ProviderFactory(root, options.plugins, loaded, options.logger ?? silentLogger);
  const logger = options.logger ?? silentLogger;
  const notifier = new JobNotifier(loaded.config, new SecretResolver(loaded.baseDir), logger);
  const arrivals = arrivalMonitorFor(loaded.config, providers, notifier, logger, options.clock);
  const lineage = lineageEmitterFor(loaded, new SecretResolver(loaded.baseDir), notifier, logger);
  const onEvent = (event: JobEvent, job: JobHandle) => {
    if (event.type === 'job.finished') {
      void notifier.jobFinished(event.summary);
      void arrivals.afterJob(event.summary);
    }
    lineage?.onEvent(event, job);
    options.onEvent?.(event, job);
  };
  const jobStore = await openJobStore(loaded, logger, options.env);
  const jobs = await openJobRunner(providers, loaded, { store: jobStore, retention: loaded.config.jobs.retention, logger, onEvent }, options.env);
  return {
    loaded,
    providers,
    jobs,
    notifier,
    arrivals,
    jobStore,
    close: async () => {
      await jobs.close?.();
      await jobStore.close?.();
    },
  };
}
