import { DEFAULT_LEDGER_LIMIT, parseLedgerTime, queryLedger, TYPES, type LedgerRecord } from '@octo/core';
import { formatBytes, table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import type { LedgerArgs } from './ledger.js';

/** `octo ledger`'s work, loaded only when it runs (`octo --help` does not load the pipeline). */
export async function runLedger(args: LedgerArgs): Promise<void> {
  // Times are checked before anything is opened: a typo never reads the whole ledger.
  const since = args.since === undefined ? undefined : parseLedgerTime(args.since);
  const until = args.until === undefined ? undefined : parseLedgerTime(args.until);
  const runtime = await openRuntime(args);
  const handle = await runtime.providers.create(args.provider);
  const result = await queryLedger(handle.container.get(TYPES.Ledger), args.provider, { since, until, path: args.path, limit: args.limit ?? DEFAULT_LEDGER_LIMIT });
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  if (result.records.length === 0) {
    process.stdout.write(`${args.provider}: no ledger record matches\n`);
    return;
  }
  process.stdout.write(`${table(['ingested', 'source', 'size', 'sha256', 'landed at', 'job'], result.records.map(row))}\n`);
  const shown = result.truncated ? `the newest ${result.records.length} of ${result.matched} matching records; narrow with --since, --until or --path, or raise --limit` : `${result.matched} record(s)`;
  process.stdout.write(`\n${args.provider}: ${shown}\n`);
}

function row(record: LedgerRecord): string[] {
  const [first, ...rest] = record.outputs;
  const landed = first ? `${first.key}${rest.length > 0 ? ` (+${rest.length} more)` : ''}` : '(no output)';
  return [record.ingestedAt, record.path, formatBytes(record.size), record.sha256.slice(0, 12), landed, record.jobId.slice(0, 8)];
}
