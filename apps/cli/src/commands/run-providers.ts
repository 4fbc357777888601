import { lateView, scheduleSummary, type JobReport, type LateView, type OctoRuntime, type ScheduleView } from '@octo/core';
import { table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import type { ProvidersArgs } from './providers.js';

/**
 * Runs `octo providers`: the configured providers with their plugin, source, bucket, schedule,
 * next run, last job and, for those with an `expect:`, whether they are late (judged from the
 * ledger now; a late alert not sent yet by any process is sent, and waited for, before it exits).
 */
export async function runProviders(args: ProvidersArgs): Promise<void> {
  const runtime = await openRuntime(args);
  const rows = await withSchedules(runtime);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ providers: rows, installedPlugins: runtime.providers.pluginNames() }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${table(
        ['provider', 'plugin', 'source', 'bucket', 'schedule', 'next run', 'last job', 'late', 'description'],
        rows.map((r) => [r.name, r.plugin, r.source, r.bucket, scheduleText(r.schedule), r.nextRunAt ?? '-', lastJobText(r.lastJob), lateText(runtime, r.name, r.late), r.description]),
      )}\n`,
    );
    process.stdout.write(`\ninstalled plugins: ${runtime.providers.pluginNames().join(', ')}\n`);
  }
  await runtime.notifier.settled();
}

/** Each provider with its schedule, next run (computed from config), newest job in the job store and lateness (as `GET /v1/providers` shows it). */
async function withSchedules(runtime: OctoRuntime) {
  const reports = await runtime.jobStore.list();
  const now = new Date();
  return Promise.all(
    runtime.providers.list().map(async (provider) => {
      const last: JobReport | undefined = reports.find((report) => report.provider === provider.name);
      return {
        ...provider,
        ...scheduleSummary(runtime.loaded.config.providers[provider.name]?.schedule, now),
        lastJob: last ? { id: last.jobId, status: last.status, finishedAt: last.finishedAt ?? null } : null,
        late: lateView(await runtime.arrivals.status(provider.name)),
      };
    }),
  );
}

/** `-` without an `expect:`, `unknown` when it could not be judged (the warning says why), `no` when on time, else since when and what was expected. */
function lateText(runtime: OctoRuntime, provider: string, late: LateView | null): string {
  if (!runtime.arrivals.watches(provider)) return '-';
  if (!runtime.arrivals.known().has(provider)) return 'unknown';
  return late ? `since ${late.since} (expected ${late.expectation})` : 'no';
}

function scheduleText(schedule: ScheduleView | null): string {
  if (!schedule) return '-';
  return 'every' in schedule ? `every ${schedule.every}` : `cron ${schedule.cron} (${schedule.timezone})`;
}

function lastJobText(job: { status: string; finishedAt: string | null } | null): string {
  if (!job) return 'none';
  return job.finishedAt ? `${job.status} at ${job.finishedAt}` : job.status;
}
