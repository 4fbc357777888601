import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

/**
 * `octo check <provider..>` / `octo check --all`: every step of a provider's setup, pass or a
 * reason, with its time (secrets, keys, host key, login, listing, a read, the bucket). Writes
 * nothing but the bucket probe it removes again. Exit 0 when no step failed, 2 otherwise.
 */
export type CheckArgs = GlobalArgs & { providers?: string[]; all: boolean; json: boolean };

export const checkCommand: CommandModule<GlobalArgs, CheckArgs> = {
  command: 'check [providers..]',
  describe: "Check a provider's secrets, keys, SFTP host key, login, listing, a read and its bucket; writes nothing",
  builder: (yargs) =>
    yargs
      .positional('providers', { type: 'string', array: true })
      .option('all', { type: 'boolean', default: false, describe: 'check every configured provider' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per provider on stdout' }) as never,
  handler: async (args) => (await import('./run-check.js')).runCheck(args),
};
