import type { CommandModule } from 'yargs';
import { table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import type { GlobalArgs } from './global-args.js';

/** `octo providers`: the configured providers with their plugin, source and bucket. */
export const providersCommand: CommandModule<GlobalArgs, GlobalArgs & { json: boolean }> = {
  command: 'providers',
  describe: 'List the configured providers with their source and bucket',
  builder: (yargs) => yargs.option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    const runtime = await openRuntime(args);
    const rows = runtime.providers.list();
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ providers: rows, installedPlugins: runtime.providers.pluginNames() }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`${table(['provider', 'plugin', 'source', 'bucket', 'description'], rows.map((r) => [r.name, r.plugin, r.source, r.bucket, r.description]))}\n`);
    process.stdout.write(`\ninstalled plugins: ${runtime.providers.pluginNames().join(', ')}\n`);
  },
};
