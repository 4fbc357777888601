import type { CommandModule } from 'yargs';
import { wholeNumber } from './arguments.js';
import type { GlobalArgs } from './global-args.js';

/** The arguments of `octo worker`. */
export interface WorkerArgs extends GlobalArgs {
  concurrency?: number;
  providers: string[];
}

/** `octo worker`: takes the file jobs of distributed mode (`queue: redis://…`) until SIGTERM. */
export const workerCommand: CommandModule<GlobalArgs, WorkerArgs> = {
  command: 'worker [providers..]',
  describe: 'Process the file jobs and scheduled syncs of distributed mode (queue: redis://... or OCTO_REDIS_URL) until SIGTERM',
  builder: (yargs) =>
    yargs
      .positional('providers', { type: 'string', array: true, default: [], describe: 'take only these providers\' files (default: every configured provider)' })
      .option('concurrency', { type: 'string', describe: 'files at once per provider in this process (default: jobs.worker.concurrency, then 4)', coerce: wholeNumber('concurrency', 1, 256) }) as never,
  handler: async (args) => (await import('./run-worker.js')).runWorker(args),
};
