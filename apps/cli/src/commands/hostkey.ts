import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

/**
 * `octo hostkey scan <provider>`: the operator-run first contact with a partner's SFTP server.
 * Prints each host key in known_hosts form with its fingerprint and whether the config pins it;
 * logs in nowhere and downloads nothing.
 */
export type HostkeyArgs = GlobalArgs & { provider: string; json: boolean };

export const hostkeyCommand: CommandModule<GlobalArgs, HostkeyArgs> = {
  command: 'hostkey scan <provider>',
  describe: "Print a provider's SFTP host keys in known_hosts form, to confirm with the partner and pin (logs in nowhere)",
  builder: (yargs) => yargs.positional('provider', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => (await import('./run-hostkey.js')).runHostkey(args),
};
