import type { LedgerRecord } from '@octo/core';
import type { CommandModule } from 'yargs';
import { formatBytes, table } from '../output/format.js';
import { UsageError } from '../usage-error.js';
import type { GlobalArgs } from './global-args.js';

interface LedgerArgs extends GlobalArgs {
  provider: string;
  since?: string;
  until?: string;
  path?: string;
  limit?: number;
  json: boolean;
}

/** `octo ledger <provider>`: what was ingested when, read from the ledger in the provider's bucket. */
export const ledgerCommand: CommandModule<GlobalArgs, LedgerArgs> = {
  command: 'ledger <provider>',
  describe: 'What was ingested when: source path, size, sha256, keys and job, from the ledger in the bucket',
  builder: (yargs) =>
    yargs
      .positional('provider', { type: 'string', demandOption: true })
      .option('since', { type: 'string', describe: 'ingested at or after: 2026-11-01, 2026-11-01T06:00:00Z, or back from now: 90m, 36h, 7d' })
      .option('until', { type: 'string', describe: 'ingested before (same forms)' })
      .option('path', { type: 'string', describe: 'a glob on the source path, e.g. "in/statements_*"' })
      .option('limit', { type: 'number', describe: 'at most this many records, the newest first (default 1000)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the records as JSON' })
      .check((args) => {
        if (args.limit !== undefined && (!Number.isInteger(args.limit) || args.limit < 1)) throw new UsageError(`--limit must be a whole number of at least 1, not ${String(args.limit)}`);
        return true;
      }) as never,
  handler: async (args) => {
    // Loaded here, not at the top: `octo --help` must not load the pipeline.
    const [{ DEFAULT_LEDGER_LIMIT, parseLedgerTime, queryLedger, TYPES }, { openRuntime }] = await Promise.all([import('@octo/core'), import('../runtime.js')]);
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
  },
};

function row(record: LedgerRecord): string[] {
  const [first, ...rest] = record.outputs;
  const landed = first ? `${first.key}${rest.length > 0 ? ` (+${rest.length} more)` : ''}` : '(no output)';
  return [record.ingestedAt, record.path, formatBytes(record.size), record.sha256.slice(0, 12), landed, record.jobId.slice(0, 8)];
}
