import type { JobSummary } from '@octo/core';
import { formatBytes, formatDuration, table } from './format.js';

/** The end-of-run report: one row per job, then every failure with its reason, then what landed. */
export function renderSummary(summaries: readonly JobSummary[]): string {
  const parts: string[] = [];
  parts.push(
    table(
      ['provider', 'status', 'ok', 'failed', 'total', 'read', 'landed', 'time'],
      summaries.map((s) => [s.provider, s.status, String(s.succeeded), String(s.failed), String(s.total), formatBytes(s.bytesIn), formatBytes(s.bytesOut), formatDuration(s.durationMs)]),
    ),
  );
  for (const summary of summaries) {
    if (summary.error) parts.push(`\n${summary.provider}: job failed [${summary.error.kind}] ${summary.error.reason}`);
    if (summary.dryRun && summary.plan) {
      parts.push(
        summary.plan.length === 0
          ? `\n${summary.provider}: nothing to do (dry run)`
          : `\n${summary.provider}: would process (dry run, nothing written):\n${table(
              ['file', 'size', 'layers', 'key'],
              summary.plan.map((p) => [p.path, formatBytes(p.size), p.layers.join('+') || 'plain', p.archive ? `${p.key} (one per entry)` : p.key]),
            )}`,
      );
      continue;
    }
    if (summary.total === 0 && !summary.error) parts.push(`\n${summary.provider}: nothing to do, every file is already ingested`);
    const failures = summary.files.filter((file) => file.status === 'failed');
    if (failures.length) {
      parts.push(`\n${summary.provider}: ${failures.length} file(s) failed:\n${table(['file', 'kind', 'reason'], failures.map((f) => [f.path, f.status === 'failed' ? f.kind : '', f.status === 'failed' ? f.reason : '']))}`);
    }
    const landed = summary.files.flatMap((file) => (file.status === 'done' ? file.outputs.map((o) => [file.path, o.key, formatBytes(o.size)] as const) : []));
    if (landed.length) parts.push(`\n${summary.provider}: landed ${landed.length} object(s):\n${table(['from', 'key', 'size'], landed)}`);
  }
  return `${parts.join('\n')}\n`;
}
