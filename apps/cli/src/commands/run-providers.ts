import { table } from '../output/format.js';
import { openRuntime } from '../runtime.js';
import type { ProvidersArgs } from './providers.js';

/** Runs `octo providers`: the configured providers with their plugin, source and bucket. */
export async function runProviders(args: ProvidersArgs): Promise<void> {
  const runtime = await openRuntime(args);
  const rows = runtime.providers.list();
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ providers: rows, installedPlugins: runtime.providers.pluginNames() }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${table(['provider', 'plugin', 'source', 'bucket', 'description'], rows.map((r) => [r.name, r.plugin, r.source, r.bucket, r.description]))}\n`);
  process.stdout.write(`\ninstalled plugins: ${runtime.providers.pluginNames().join(', ')}\n`);
}
