import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

/** The arguments of `octo config show`. */
export interface ConfigShowArgs extends GlobalArgs {
  provider?: string;
  json: boolean;
}

const showCommand: CommandModule<GlobalArgs, ConfigShowArgs> = {
  command: 'show [provider]',
  describe: 'Print the effective config (defaults filled in, secrets redacted) and where each value came from',
  builder: (yargs) =>
    yargs
      .positional('provider', { type: 'string', describe: 'show only this provider (and the global settings)' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON document: {file, values: [{path, value, origin}]}' }) as never,
  handler: async (args) => (await import('./run-config-show.js')).runConfigShow(args),
};

/** `octo config show [provider]`. */
export const configCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'config <command>',
  describe: 'Inspect the config',
  builder: (yargs) => yargs.command(showCommand as never).demandCommand(1, 'name a config command: show') as never,
  handler: () => undefined,
};
