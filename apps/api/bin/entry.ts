// Entry point of the bundled API (dist/octo-api.mjs): the same as `octo serve`, without the CLI.
// Config from $OCTO_CONFIG or ./octo.config.yaml; host and port from the config's api: block.
import { consoleAssetsDir } from '@octo/console';
import { loadConfig, OctoError, tuneHeapForStreaming } from '@octo/core';
import { installedProviders } from '@octo/registry';
import { serveOctoApi } from '@octo/server';

tuneHeapForStreaming();
try {
  const { stopped } = await serveOctoApi({
    loaded: await loadConfig(),
    plugins: installedProviders,
    consoleAssetsDir,
    onListening: (url) => process.stderr.write(`octo-api: listening on ${url}\n`),
  });
  await stopped;
} catch (error) {
  process.stderr.write(`octo-api: ${OctoError.is(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
}
