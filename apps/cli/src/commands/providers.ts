import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

/** The arguments of `octo providers`. */
export interface ProvidersArgs extends GlobalArgs {
  json: boolean;
}

/** `octo providers`: the configured providers with their plugin, source, bucket, schedule, next run and last job. */
export const providersCommand: CommandModule<GlobalArgs, ProvidersArgs> = {
  command: 'providers',
  describe: 'List the configured providers with their source, bucket, schedule and last job',
  builder: (yargs) => yargs.option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => (await import('./run-providers.js')).runProviders(args),
};
