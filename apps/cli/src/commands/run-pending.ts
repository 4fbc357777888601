import { byIdentity, IN_PROGRESS_RULE, QuarantineBook, TYPES, type QuarantineEntry } from '@octo/core';
import { formatBytes, table } from '../output/format.js';
import { printable } from '../output/terminal-text.js';
import { openRuntime } from '../runtime.js';
import type { PendingArgs } from './pending.js';

/** Runs `octo pending`: the files on the drop that have no ledger record yet, and the quarantined ones with why. */
export async function runPending(args: PendingArgs): Promise<void> {
  const runtime = await openRuntime(args);
  const handle = await runtime.providers.create(args.provider);
  const job = handle.syncJob();
  const source = handle.context.config.source.url;
  const book = new QuarantineBook(handle.container.get(TYPES.ObjectStore), args.provider, handle.context.config.quarantine.after);
  try {
    const [{ pending: listed, inProgress }, entries] = await Promise.all([job.pendingAndWaiting(), book.entries()]);
    const records = byIdentity(entries);
    // A quarantined delivery waits for octo retry: the next run does not take it.
    const files = listed.filter((file) => !book.quarantinedOf(file, records));
    const quarantined = entries.filter((entry) => entry.quarantined);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ provider: args.provider, pending: files, quarantined, inProgress }, null, 2)}\n`);
      return;
    }
    if (files.length === 0) process.stdout.write(`${args.provider}: nothing pending in ${source}\n`);
    else {
      process.stdout.write(
        `${table(['file', 'size', 'modified', 'signature'], files.map((f) => [f.path, formatBytes(f.size), new Date(f.mtimeMs).toISOString(), f.signaturePath ?? '']))}\n`,
      );
      process.stdout.write(`\n${files.length} file(s) pending for ${args.provider}\n`);
    }
    if (quarantined.length > 0) process.stdout.write(renderQuarantined(args.provider, quarantined));
    if (inProgress.length > 0) process.stdout.write(renderInProgress(args.provider, inProgress));
  } finally {
    await job.close();
  }
}

function renderQuarantined(provider: string, entries: readonly QuarantineEntry[]): string {
  const rows = entries.map((e) => [e.path, String(e.attempts), e.lastFailedAt, e.lastKind, e.lastReason]);
  return `\n${provider}: ${entries.length} file(s) quarantined, not retried until released (octo retry ${provider} <file>):\n${table(['file', 'attempts', 'last failed', 'kind', 'reason'], rows)}\n`;
}

/** At most this many of them are printed (a partner's `.processed/` folder can hold thousands); `--json` has them all. */
const IN_PROGRESS_SHOWN = 20;

function renderInProgress(provider: string, paths: readonly string[]): string {
  const shown = paths.slice(0, IN_PROGRESS_SHOWN).map((path) => `  ${printable(path)}`);
  if (paths.length > IN_PROGRESS_SHOWN) shown.push(`  ... and ${paths.length - IN_PROGRESS_SHOWN} more (octo pending ${provider} --json lists them all)`);
  const lines = shown.join('\n');
  return `\n${provider}: ${paths.length} file(s) matched by include are left, since ${IN_PROGRESS_RULE} (rename on the drop, or name the dot folder in include):\n${lines}\n`;
}
