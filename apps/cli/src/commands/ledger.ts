import type { CommandModule } from 'yargs';
import { UsageError } from '../usage-error.js';
import type { GlobalArgs } from './global-args.js';

export interface LedgerArgs extends GlobalArgs {
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
  handler: async (args) => (await import('./run-ledger.js')).runLedger(args),
};
