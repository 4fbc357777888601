import { createOctoRuntime, type OctoRuntime } from '@octo/core';
import { installedProviders } from '@octo/registry';

/** The runtime every command works on: config from `--config`, `OCTO_CONFIG` or `./octo.config.*`, the installed providers. */
export function openRuntime(configPath: string | undefined): Promise<OctoRuntime> {
  return createOctoRuntime({ configPath, plugins: installedProviders });
}
