import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

/** The arguments of `octo pending`. */
export interface PendingArgs extends GlobalArgs {
  provider: string;
  json: boolean;
}

/** `octo pending <provider>`: the files on the drop that have no ledger record yet. */
export const pendingCommand: CommandModule<GlobalArgs, PendingArgs> = {
  command: 'pending <provider>',
  describe: 'List the files of a provider that are not ingested yet',
  builder: (yargs) =>
    yargs.positional('provider', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => (await import('./run-pending.js')).runPending(args),
};
