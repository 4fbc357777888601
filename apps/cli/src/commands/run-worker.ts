import { createOctoRuntime, OctoError, redisUrlOf, workerSettings } from '@octo/core';
// This file loads only for `octo worker` (commands/worker.ts imports it lazily), so BullMQ loads only here.
import { bullmqConnection, configuredSchedules, FileWorker, ScheduleWorker } from '@octo/core/queue';
import { installedProviders } from '@octo/registry';
import { ExitCode } from '../exit-codes.js';
import { openedRuntimes } from '../open-runtimes.js';
import { createCliLogger } from '../output/cli-logger.js';
import type { WorkerArgs } from './worker.js';

/**
 * Runs `octo worker` until SIGTERM or SIGINT: then it takes no new file, lets the files in
 * flight finish within `jobs.worker.stopTimeoutSeconds`, aborts and hands back the rest, and
 * exits 0. A second signal exits 130 at once (the files in flight are taken over by another
 * worker after the stall interval; nothing partial lands).
 */
export async function runWorker(args: WorkerArgs): Promise<void> {
  const logger = createCliLogger({ verbosity: args.verbose ?? 0, logFile: args['log-file'] });
  const runtime = await createOctoRuntime({ configPath: args.config, plugins: installedProviders, logger });
  openedRuntimes.push(Promise.resolve(runtime));
  const url = redisUrlOf(runtime.loaded);
  if (!url) {
    throw new OctoError('config', 'octo worker needs distributed mode: set queue: redis://host:port in the config, or OCTO_REDIS_URL; without it, octo sync and octo serve process the files themselves', { fatal: true });
  }
  const settings = workerSettings(runtime.loaded.config.jobs);
  const concurrency = args.concurrency ?? settings.concurrency;
  const worker = new FileWorker(runtime.providers, {
    concurrency,
    providers: args.providers.length > 0 ? args.providers : undefined,
    lockDurationMs: settings.stallSeconds * 1000,
    connect: () => bullmqConnection(url),
    logger,
  });
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  // Every worker upserts the schedules (idempotent, one scheduler per provider); one of them takes each tick.
  const schedules = new ScheduleWorker({ schedules: configuredSchedules(runtime.loaded.config.providers), jobs: runtime.jobs, connect: () => bullmqConnection(url), logger });
  await worker.start();
  await schedules.start();
  process.stderr.write(`octo: worker ready: ${concurrency} file(s) at once per provider; stop it with SIGTERM\n`);
  const signal = await signalled;
  const onSecond = () => {
    process.stderr.write(`octo: ${signal} again: exiting now; the files in flight are taken over by another worker\n`);
    process.exit(ExitCode.Cancelled);
  };
  process.once('SIGTERM', onSecond);
  process.once('SIGINT', onSecond);
  process.stderr.write(`octo: ${signal}: taking no new files; waiting up to ${settings.stopTimeoutSeconds} s for the ${worker.active} in flight\n`);
  const [result] = await Promise.all([worker.close(settings.stopTimeoutSeconds * 1000), schedules.close(settings.stopTimeoutSeconds * 1000)]);
  process.stderr.write(`octo: worker stopped (${result.finished} file(s) finished, ${result.requeued} aborted and handed back to the queue)\n`);
  process.exitCode = ExitCode.Ok;
}
