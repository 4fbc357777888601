import type { CommandModule } from 'yargs';
import { wholeNumber } from './arguments.js';
import type { GlobalArgs } from './global-args.js';

/** The arguments of `octo serve`. */
export interface ServeArgs extends GlobalArgs {
  port?: number;
  host?: string;
  'ready-file'?: string;
}

/** `octo serve`: the HTTP API, with the same config as the other commands; `--host`/`--port` override `api.host`/`api.port`. */
export const serveCommand: CommandModule<GlobalArgs, ServeArgs> = {
  command: 'serve',
  describe: 'Start the HTTP API (see docs/api.md); stops cleanly on SIGTERM',
  builder: (yargs) =>
    yargs
      .option('host', { type: 'string', describe: 'interface to listen on (default: api.host, then 127.0.0.1)' })
      .option('port', { type: 'string', describe: 'TCP port, 0 for a free one (default: api.port, then 8080)', coerce: wholeNumber('port', 0, 65_535) })
      .option('ready-file', { type: 'string', describe: 'write the URL to this file once the API listens (for scripts that wait for it)' }) as never,
  handler: async (args) => (await import('./run-serve.js')).runServe(args),
};
