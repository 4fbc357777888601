import { currentJobOwner, FileJobReportStore, finalJobReport, OctoError, resolvePath, startedJobReport, type JobSummary } from '@octo/core';
import type { CommandModule } from 'yargs';
import { ExitCode } from '../exit-codes.js';
import { JsonReporter } from '../output/json-reporter.js';
import { LineReporter } from '../output/line-reporter.js';
import { ProgressReporter } from '../output/progress-reporter.js';
import type { Reporter } from '../output/reporter.js';
import { renderSummary } from '../output/summary.js';
import { openRuntime } from '../runtime.js';
import type { GlobalArgs } from './global-args.js';

interface SyncArgs extends GlobalArgs {
  providers: string[];
  all: boolean;
  'dry-run': boolean;
  json: boolean;
  concurrency?: number;
}

/** `octo sync <provider..> | --all`: run the job, report progress, end with a summary. */
export const syncCommand: CommandModule<GlobalArgs, SyncArgs> = {
  command: 'sync [providers..]',
  describe: 'Ingest the new files of one or more providers',
  builder: (yargs) =>
    yargs
      .positional('providers', { type: 'string', array: true, default: [], describe: 'provider names from the config' })
      .option('all', { type: 'boolean', default: false, describe: 'sync every configured provider' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'list what would be processed and the key each output would get; write nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'print NDJSON events instead of progress' })
      .option('concurrency', { type: 'number', describe: 'files at once (default from config)' })
      .check((args) => {
        if (!args.all && args.providers.length === 0) throw new Error('name at least one provider, or pass --all');
        if (args.all && args.providers.length > 0) throw new Error('pass either provider names or --all, not both');
        return true;
      }) as never,
  handler: async (args) => {
    const runtime = await openRuntime(args);
    const names = args.all ? runtime.providers.names() : args.providers;
    for (const name of names) runtime.providers.assertConfigured(name);
    const reporter: Reporter = args.json ? new JsonReporter() : process.stderr.isTTY && process.stdout.isTTY ? new ProgressReporter() : new LineReporter();
    const summaries: JobSummary[] = [];
    // Runs from the CLI go into the same job history the API shows.
    const reports = new FileJobReportStore(resolvePath(runtime.loaded.baseDir, runtime.loaded.config.workDir));
    let cancelled = false;
    let current: { cancel(): void } | undefined;
    const onSignal = () => {
      cancelled = true;
      current?.cancel();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      for (const name of names) {
        if (cancelled) break;
        try {
          const job = await runtime.jobs.start(name, { dryRun: args['dry-run'], concurrency: args.concurrency });
          current = job;
          job.subscribe((event) => reporter.onEvent(event));
          const started = startedJobReport(job, currentJobOwner(), args.concurrency);
          await reports.save(started);
          const summary = await job.done;
          await reports.save(finalJobReport(summary, started.owner, { createdAt: started.createdAt, concurrency: args.concurrency }));
          summaries.push(summary);
        } catch (error) {
          const wrapped = OctoError.wrap('internal', error);
          const now = new Date().toISOString();
          summaries.push(failedSummary(name, wrapped, now, args['dry-run']));
        }
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      reporter.stop();
    }
    if (!args.json) process.stdout.write(`\n${renderSummary(summaries)}`);
    process.exitCode = exitCodeFor(summaries, cancelled);
  },
};

function failedSummary(provider: string, error: OctoError, at: string, dryRun: boolean): JobSummary {
  return {
    jobId: '-',
    provider,
    status: 'failed',
    dryRun,
    total: 0,
    succeeded: 0,
    failed: 0,
    bytesIn: 0,
    bytesOut: 0,
    startedAt: at,
    finishedAt: at,
    durationMs: 0,
    files: [],
    error: { kind: error.kind, reason: error.message },
  };
}

/** Fatal beats cancelled beats failed files beats success. */
export function exitCodeFor(summaries: readonly JobSummary[], cancelled: boolean): number {
  if (summaries.some((s) => s.status === 'failed')) return ExitCode.Fatal;
  if (cancelled || summaries.some((s) => s.status === 'cancelled')) return ExitCode.Cancelled;
  if (summaries.some((s) => s.failed > 0)) return ExitCode.FilesFailed;
  return ExitCode.Ok;
}
