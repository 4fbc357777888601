import type { Logger } from '../ports/logger.js';
import type { RemoteFile } from '../ports/remote-source.js';

/**
 * At most `max` pending files for this run, oldest first (then by path), so a drop of 100,000
 * files is taken in bounded runs: the rest stay pending (no ledger record) and the next poll
 * continues with them. Logs how many were left when it cut.
 */
export function capPerPoll(pending: readonly RemoteFile[], max: number | undefined, provider: string, logger: Logger): RemoteFile[] {
  if (max === undefined || pending.length <= max) return [...pending];
  const taken = [...pending].sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).slice(0, max);
  logger.info(`provider ${provider}: ${pending.length} files pending, this run takes the oldest ${max} (source.maxFilesPerPoll); the next run continues with the other ${pending.length - max}`, {
    provider,
    pending: pending.length,
    taken: max,
  });
  return taken;
}
