import { OctoError, type JobSummary, type OctoRuntime } from '@octo/core';
import { ExitCode } from '../exit-codes.js';
import { JsonReporter } from '../output/json-reporter.js';
import { LineReporter } from '../output/line-reporter.js';
import { ProgressReporter } from '../output/progress-reporter.js';
import type { Reporter } from '../output/reporter.js';
import { renderSummary } from '../output/summary.js';
import { openRuntime } from '../runtime.js';
import { SignalCancellation } from '../signals/signal-cancellation.js';
import { abandonedSummary } from './abandoned-summary.js';
import { syncAll } from './sync-all.js';
import type { SyncArgs } from './sync.js';

/** Runs `octo sync` with validated arguments: the job, progress, the summary; sets the exit status. */
export async function runSync(args: SyncArgs): Promise<void> {
    const reporter: Reporter = args.json ? new JsonReporter() : process.stderr.isTTY && process.stdout.isTTY ? new ProgressReporter() : new LineReporter();
    // Installed first: a signal during start-up cancels too, instead of killing the process mid-way.
    const cancellation = new SignalCancellation({
      onFirst: (signal, deadlineMs) =>
        process.stderr.write(`octo: ${signal}: cancelling; files in flight are aborted and nothing partial lands (waiting at most ${deadlineMs / 1000} s; send it again to exit now)\n`),
      onSecond: (signal) => {
        process.stderr.write(`octo: ${signal} again: exiting now; files in flight have no ledger record and the next run takes them again\n`);
        process.exit(ExitCode.Cancelled);
      },
    });
    cancellation.install();
    const summaries: JobSummary[] = [];
    // Webhooks still being called when the jobs are done: waited for once the summary is out.
    let notifying: Promise<void> | undefined;
    try {
      let runtime: OctoRuntime;
      let names: readonly string[];
      try {
        runtime = await openRuntime(args);
        names = args.all ? runtime.providers.names() : args.providers;
        for (const name of names) runtime.providers.assertConfigured(name);
      } catch (error) {
        // --json promises an end to every run: the providers asked for end failed, or, when none can be named, an error event.
        reportRefused(reporter, args.all ? [] : args.providers, OctoError.wrap('internal', error), args['dry-run']);
        throw error;
      }
      // The runner records every job in the job store, so the API sees runs started here.
      // Providers not started yet when a signal arrives are not started at all.
      const ran = await syncAll(names, runtime.loaded.config.jobs.providersAtOnce, async (name) => (cancellation.received ? undefined : syncOne(runtime, reporter, cancellation, name, args)));
      summaries.push(...ran.filter((summary) => summary !== undefined));
      notifying = runtime.notifier.settled();
    } finally {
      cancellation.uninstall();
      reporter.stop();
    }
    if (!args.json) process.stdout.write(`\n${renderSummary(summaries)}`);
    const code = exitCodeFor(summaries, cancellation.received !== undefined);
    process.exitCode = code;
    // A call abandoned at the deadline may still hold a socket open: end the process once the summary is out.
    if (cancellation.received) process.stdout.write('', () => process.exit(code));
    else await notifying;
}

/** One provider's job, from start to summary; a job that cannot start ends in a failed summary, never in nothing. */
async function syncOne(runtime: OctoRuntime, reporter: Reporter, cancellation: SignalCancellation, name: string, args: SyncArgs): Promise<JobSummary> {
  const acceptedAt = new Date().toISOString();
  try {
    const job = await runtime.jobs.start(name, { dryRun: args['dry-run'], concurrency: args.concurrency });
    job.subscribe((event) => reporter.onEvent(event));
    const stopListening = cancellation.onCancel(() => job.cancel());
    const summary = await cancellation.withinDeadline(job.done);
    stopListening();
    if (summary) return summary;
    // The job's report says it was abandoned, and the reporter gets its job.finished.
    const abandoned = abandonedSummary(job, cancellation.received ?? 'a signal', cancellation.deadlineMs, job.state.report.createdAt);
    job.abandon(abandoned);
    // Its final report is written (to the job store) before the process exits.
    await job.done;
    return abandoned;
  } catch (error) {
    const summary = failedSummary(name, OctoError.wrap('internal', error), acceptedAt, args['dry-run']);
    reporter.onEvent({ type: 'job.finished', jobId: summary.jobId, summary, at: summary.finishedAt });
    return summary;
  }
}

/** Before any job could start (bad config, unknown provider): `--json` still ends each named provider, or says why in an error event. */
function reportRefused(reporter: Reporter, providers: readonly string[], error: OctoError, dryRun: boolean): void {
  if (!(reporter instanceof JsonReporter)) return;
  const at = new Date().toISOString();
  if (providers.length === 0) {
    reporter.onError({ type: 'error', kind: error.kind, reason: error.message, at });
    return;
  }
  for (const provider of providers) {
    const summary = failedSummary(provider, error, at, dryRun);
    reporter.onEvent({ type: 'job.finished', jobId: summary.jobId, summary, at });
  }
}

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
