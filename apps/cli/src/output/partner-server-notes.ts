import type { JobSummary } from '@octo/core';
import { table } from './format.js';

/**
 * What a run left on the partner's server that a person should know: files waiting for their
 * ready marker, and ingested files that `afterIngest:` could not move or delete (with why).
 */
export function renderPartnerServerNotes(summary: JobSummary): string[] {
  const parts: string[] = [];
  if (summary.waiting?.length) {
    parts.push(`\n${summary.provider}: ${summary.waiting.length} file(s) wait for their ready marker:\n${table(['file', 'waits for'], summary.waiting.map((file) => [file.path, file.reason ? `${file.for}: ${file.reason}` : file.for]))}`);
  }
  const stuck = summary.files.flatMap((file) => (file.status === 'done' && file.afterIngest?.status === 'failed' ? [[file.path, file.afterIngest.action, file.afterIngest.reason ?? '']] : []));
  if (stuck.length) parts.push(`\n${summary.provider}: ${stuck.length} file(s) ingested but left on the server:\n${table(['file', 'action', 'reason'], stuck)}`);
  return parts;
}
