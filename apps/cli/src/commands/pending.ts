import type { CommandModule } from 'yargs';
import { formatBytes, table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import type { GlobalArgs } from './global-args.js';

/** `octo pending <provider>`: the files on the drop that have no ledger record yet. */
export const pendingCommand: CommandModule<GlobalArgs, GlobalArgs & { provider: string; json: boolean }> = {
  command: 'pending <provider>',
  describe: 'List the files of a provider that are not ingested yet',
  builder: (yargs) =>
    yargs.positional('provider', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    const runtime = await openRuntime(args);
    const handle = await runtime.providers.create(args.provider);
    const job = handle.syncJob();
    const source = handle.context.config.source.url;
    try {
      const files = await job.pending();
      if (args.json) {
        process.stdout.write(`${JSON.stringify({ provider: args.provider, pending: files }, null, 2)}\n`);
        return;
      }
      if (files.length === 0) {
        process.stdout.write(`${args.provider}: nothing pending in ${source}\n`);
        return;
      }
      process.stdout.write(
        `${table(['file', 'size', 'modified', 'signature'], files.map((f) => [f.path, formatBytes(f.size), new Date(f.mtimeMs).toISOString(), f.signaturePath ?? '']))}\n`,
      );
      process.stdout.write(`\n${files.length} file(s) pending for ${args.provider}\n`);
    } finally {
      await job.close();
    }
  },
};
