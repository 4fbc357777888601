import { createOctoRuntime, type OctoRuntime } from '@octo/core';
import { installedProviders } from '@octo/registry';
import type { GlobalArgs } from './commands/global-args.js';
import { openedRuntimes } from './open-runtimes.js';
import { createCliLogger } from './output/cli-logger.js';

/** The runtime every command works on: config from `--config`, `OCTO_CONFIG` or `./octo.config.*`, the installed providers. */
export function openRuntime(args: GlobalArgs): Promise<OctoRuntime> {
  const runtime = createOctoRuntime({ configPath: args.config, plugins: installedProviders, logger: createCliLogger({ verbosity: args.verbose ?? 0, logFile: args['log-file'] }) });
  openedRuntimes.push(runtime);
  return runtime;
}
