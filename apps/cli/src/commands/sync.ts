import type { CommandModule } from 'yargs';
import { UsageError } from '../usage-error.js';
import { wholeNumber } from './arguments.js';
import type { GlobalArgs } from './global-args.js';

/** The arguments of `octo sync`, validated before any work. */
export interface SyncArgs extends GlobalArgs {
  providers: string[];
  all: boolean;
  'dry-run': boolean;
  json: boolean;
  concurrency?: number;
}

/** `octo sync <provider..> | --all`: run the job, report progress, end with a summary. */
export const syncCommand: CommandModule<GlobalArgs, SyncArgs> = {
  command: 'sync [providers..]',
  describe: 'Ingest the new files of one or more providers',
  builder: (yargs) =>
    yargs
      .positional('providers', { type: 'string', array: true, default: [], describe: 'provider names from the config' })
      .option('all', { type: 'boolean', default: false, describe: 'sync every configured provider' })
      // `--dryrun` is the AWS CLI's spelling; a user who types it must never get a real run.
      .option('dry-run', { alias: 'dryrun', type: 'boolean', default: false, describe: 'list what would be processed and the key each output would get; write nothing' })
      .option('json', { type: 'boolean', default: false, describe: 'print NDJSON events instead of progress' })
      .option('concurrency', { type: 'string', describe: 'files at once, 1 or more (default from config)', coerce: wholeNumber('concurrency', 1) })
      .check((args) => {
        if (!args.all && args.providers.length === 0) throw new UsageError('name at least one provider, or pass --all');
        if (args.all && args.providers.length > 0) throw new UsageError(`pass either provider names or --all, not both (got --all and ${args.providers.join(', ')})`);
        return true;
      }) as never,
  // The job's modules load only when a job runs, so `octo --help` stays fast.
  handler: async (args) => (await import('./run-sync.js')).runSync(args),
};
