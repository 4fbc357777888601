import { scheduleSummary, type JobReport, type OctoRuntime, type ScheduleView } from '@octo/core';
import { table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import type { ProvidersArgs } from './providers.js';

/** Runs `octo providers`: the configured providers with their plugin, source, bucket, schedule, next run and last job. */
export async function runProviders(args: ProvidersArgs): Promise<void> {
  const runtime = await openRuntime(args);
  const rows = await withSchedules(runtime);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ providers: rows, installedPlugins: runtime.providers.pluginNames() }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${table(
      ['provider', 'plugin', 'source', 'bucket', 'schedule', 'next run', 'last job', 'description'],
      rows.map((r) => [r.name, r.plugin, r.source, r.bucket, scheduleText(r.schedule), r.nextRunAt ?? '-', lastJobText(r.lastJob), r.description]),
    )}\n`,
  );
  process.stdout.write(`\ninstalled plugins: ${runtime.providers.pluginNames().join(', ')}\n`);
}

/** Each provider with its schedule, next run (computed from config) and newest job in the job store. */
async function withSchedules(runtime: OctoRuntime) {
  const reports = await runtime.jobStore.list();
  const now = new Date();
  return runtime.providers.list().map((provider) => {
    const last: JobReport | undefined = reports.find((report) => report.provider === provider.name);
    return {
      ...provider,
      ...scheduleSummary(runtime.loaded.config.providers[provider.name]?.schedule, now),
      lastJob: last ? { id: last.jobId, status: last.status, finishedAt: last.finishedAt ?? null } : null,
    };
  });
}

function scheduleText(schedule: ScheduleView | null): string {
  if (!schedule) return '-';
  return 'every' in schedule ? `every ${schedule.every}` : `cron ${schedule.cron} (${schedule.timezone})`;
}

function lastJobText(job: { status: string; finishedAt: string | null } | null): string {
  if (!job) return 'none';
  return job.finishedAt ? `${job.status} at ${job.finishedAt}` : job.status;
}
