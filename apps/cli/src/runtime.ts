import { createOctoRuntime, type OctoRuntime } from '@octo/core';
import { installedProviders } from '@octo/registry';
import type { GlobalArgs } from './commands/global-args.js';
import { StderrLogger } from './output/stderr-logger.js';

/** The runtime every command works on: config from `--config`, `OCTO_CONFIG` or `./octo.config.*`, the installed providers. */
export function openRuntime(args: GlobalArgs): Promise<OctoRuntime> {
  return createOctoRuntime({ configPath: args.config, plugins: installedProviders, logger: new StderrLogger(args.verbose ?? 0) });
}
