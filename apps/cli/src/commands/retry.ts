import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

/** The arguments of `octo retry`. */
export interface RetryArgs extends GlobalArgs {
  provider: string;
  path: string;
  json: boolean;
}

/** `octo retry <provider> <path>`: releases a quarantined file, so the next run takes it again. */
export const retryCommand: CommandModule<GlobalArgs, RetryArgs> = {
  command: 'retry <provider> <path>',
  describe: 'Release a quarantined file (see octo pending): the next sync takes it again, counting failures from zero',
  builder: (yargs) =>
    yargs
      .positional('provider', { type: 'string', demandOption: true })
      .positional('path', { type: 'string', demandOption: true, describe: 'the source path as octo pending lists it' })
      .option('json', { type: 'boolean', default: false, describe: 'print what was released as JSON' }) as never,
  handler: async (args) => (await import('./run-retry.js')).runRetry(args),
};
