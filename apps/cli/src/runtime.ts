import { createOctoRuntime, type OctoRuntime } from '@octo/core';
import { installedProviders } from '@octo/registry';
import type { GlobalArgs } from './commands/global-args.js';
import { StderrLogger } from './output/stderr-logger.js';

const opened: Array<Promise<OctoRuntime>> = [];

/** The runtime every command works on: config from `--config`, `OCTO_CONFIG` or `./octo.config.*`, the installed providers. */
export function openRuntime(args: GlobalArgs): Promise<OctoRuntime> {
  const runtime = createOctoRuntime({ configPath: args.config, plugins: installedProviders, logger: new StderrLogger(args.verbose ?? 0) });
  opened.push(runtime);
  return runtime;
}

/** Closes every runtime a command opened (a Redis connection would keep the process alive). */
export async function closeRuntimes(): Promise<void> {
  for (const runtime of opened.splice(0)) await (await runtime.catch(() => undefined))?.close();
}
