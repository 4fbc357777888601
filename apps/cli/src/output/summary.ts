import type { JobSummary, PlannedFile } from '@octo/core';
import { formatBytes, formatDuration, table } from './format.js';
import { renderPartnerServerNotes } from './partner-server-notes.js';

/** The end-of-run report: one row per job, then every failure with its reason, then what landed. */
export function renderSummary(summaries: readonly JobSummary[]): string {
  const parts: string[] = [];
  parts.push(
    table(
      ['provider', 'status', 'ok', 'failed', 'total', 'read', 'landed', 'time'],
      summaries.map((s) => [s.provider, s.status, String(s.succeeded), String(s.failed), String(s.total), formatBytes(s.bytesIn), formatBytes(s.bytesOut), formatDuration(s.durationMs)]),
    ),
  );
  // Of many providers, the idle ones share one line (a fortieth partner should not add two lines to every quiet run).
  const idle = summaries.filter((s) => !s.dryRun && s.total === 0 && !s.error && !s.waiting?.length && !s.skipped?.length);
  const shareOneLine = summaries.length > 1 && idle.length > 1;
  if (shareOneLine) parts.push(`\nnothing to do for ${idle.length} provider(s), every file is already ingested: ${idle.map((s) => s.provider).join(', ')}`);
  for (const summary of summaries) {
    if (shareOneLine && idle.includes(summary)) continue;
    if (summary.error) parts.push(`\n${summary.provider}: job ${summary.status === 'cancelled' ? 'cancelled' : 'failed'} [${summary.error.kind}] ${summary.error.reason}`);
    if (summary.dryRun && summary.plan) {
      parts.push(
        summary.plan.length === 0
          ? `\n${summary.provider}: nothing to do (dry run)`
          : `\n${summary.provider}: would process (dry run, nothing written):\n${table(
              ['file', 'size', 'layers', 'key'],
              summary.plan.map((p) => [p.path, formatBytes(p.size), p.layers.join('+') || 'plain', p.archive ? `${p.key} (one per entry)` : p.key]),
            )}`,
      );
      const conflicts = renderPlannedConflicts(summary.plan);
      if (conflicts) parts.push(`\n${summary.provider}: ${conflicts}`);
      const left = renderSkippedAndResends(summary);
      if (left) parts.push(left);
      continue;
    }
    if (summary.total === 0 && !summary.error && !summary.waiting?.length && !summary.skipped?.length) parts.push(`\n${summary.provider}: nothing to do, every file is already ingested`);
    parts.push(...renderPartnerServerNotes(summary));
    const failures = summary.files.filter((file) => file.status === 'failed');
    if (failures.length) {
      parts.push(`\n${summary.provider}: ${failures.length} file(s) failed:\n${table(['file', 'kind', 'reason'], failures.map((f) => [f.path, f.status === 'failed' ? f.kind : '', f.status === 'failed' ? f.reason : '']))}`);
    }
    const others = renderSkippedAndResends(summary);
    if (others) parts.push(others);
    const landed = summary.files.flatMap((file) => (file.status === 'done' ? file.outputs.map((o) => [file.path, o.key, formatBytes(o.size)] as const) : []));
    if (landed.length) parts.push(`\n${summary.provider}: landed ${landed.length} object(s):\n${table(['from', 'key', 'size'], landed)}`);
  }
  return `${parts.join('\n')}\n`;
}

/** The key conflicts a dry run found: each with both source paths and what the policy would do. */
function renderPlannedConflicts(plan: readonly PlannedFile[]): string | undefined {
  const rows = plan.flatMap((p) =>
    p.conflict
      ? [[p.path, p.conflict.key, `${p.conflict.owner} (${p.conflict.where === 'bucket' ? 'in the bucket' : 'in this drop'})`, p.conflict.outcome === 'keep-both' ? `keep-both: lands at ${p.conflict.keptAs}` : 'fail: nothing of it lands']]
      : [],
  );
  if (rows.length === 0) return undefined;
  return `${rows.length} key conflict(s) (dry run):\n${table(['file', 'key', 'owned by', 'outcome'], rows)}`;
}

/** The files a job did not attempt (quarantined, stopped by a failure) and the resends it found, each with why: never silent. */
function renderSkippedAndResends(summary: JobSummary): string | undefined {
  const parts: string[] = [];
  const skipped = summary.skipped ?? [];
  if (skipped.length > 0) {
    parts.push(`\n${summary.provider}: ${skipped.length} file(s) not attempted:\n${table(['file', 'why', 'reason'], skipped.map((s) => [s.path, s.why, s.reason]))}`);
  }
  const resends = summary.files.flatMap((file) => (file.status === 'done' && file.resendOf ? [[file.path, file.resendOf.path, file.resendOf.ingestedAt, file.resendOf.policy === 'skip' ? 'skipped (resend: skip)' : 'landed again']] : []));
  if (resends.length > 0) parts.push(`\n${summary.provider}: ${resends.length} resend(s), the same bytes as an earlier file:\n${table(['file', 'same as', 'ingested', 'outcome'], resends)}`);
  return parts.length > 0 ? parts.join('\n') : undefined;
}
