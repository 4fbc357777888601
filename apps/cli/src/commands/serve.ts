import { serveOctoApi } from '@octo/server';
import { loadConfig } from '@octo/core';
import { installedProviders } from '@octo/registry';
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

interface ServeArgs extends GlobalArgs {
  port?: number;
  host?: string;
}

/** `octo serve`: the HTTP API, with the same config as the other commands; `--host`/`--port` override `api.host`/`api.port`. */
export const serveCommand: CommandModule<GlobalArgs, ServeArgs> = {
  command: 'serve',
  describe: 'Start the HTTP API (see docs/api.md); stops cleanly on SIGTERM',
  builder: (yargs) =>
    yargs
      .option('host', { type: 'string', describe: 'interface to listen on (default: api.host, then 127.0.0.1)' })
      .option('port', { type: 'number', describe: 'TCP port, 0 for a free one (default: api.port, then 8080)' }) as never,
  handler: async (args) => {
    const loaded = await loadConfig(args.config);
    const overrides = { ...(args.host !== undefined ? { host: args.host } : {}), ...(args.port !== undefined ? { port: args.port } : {}) };
    const { stopped } = await serveOctoApi({
      loaded,
      plugins: installedProviders,
      api: overrides,
      onListening: (url) => process.stderr.write(`octo: API listening on ${url}\n`),
    });
    const result = await stopped;
    const abandoned = result.abandoned > 0 ? `, ${result.abandoned} abandoned while a call to a source or store still waited` : '';
    process.stderr.write(`octo: API stopped (${result.finished} job(s) finished, ${result.cancelled} cancelled${abandoned})\n`);
    // An abandoned call may still hold a socket open: end the process now that everything is said.
    if (result.abandoned > 0) process.exit(0);
  },
};
