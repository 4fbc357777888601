import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './global-args.js';

/**
 * `octo hostkey scan <provider>`: the operator-run first contact with a partner's SFTP server.
 * Prints each host key in known_hosts form with its fingerprint and whether the config pins it;
 * logs in nowhere and downloads nothing.
 */
export const hostkeyCommand: CommandModule<GlobalArgs, GlobalArgs & { provider: string; json: boolean }> = {
  command: 'hostkey scan <provider>',
  describe: "Print a provider's SFTP host keys in known_hosts form, to confirm with the partner and pin (logs in nowhere)",
  builder: (yargs) => yargs.positional('provider', { type: 'string', demandOption: true }).option('json', { type: 'boolean', default: false }) as never,
  handler: async (args) => {
    // Loaded here, not at the top: `octo --help` must not load the pipeline.
    const [{ OctoError, scanSourceHostKeys, SecretResolver }, { openRuntime }, { createCliLogger }] = await Promise.all([import('@octo/core'), import('../runtime.js'), import('../output/cli-logger.js')]);
    const runtime = await openRuntime(args);
    const config = runtime.loaded.config.providers[args.provider];
    if (!config) {
      throw new OctoError('config', `unknown provider ${args.provider}: the configured ones are ${Object.keys(runtime.loaded.config.providers).join(', ') || 'none'}`, { fatal: true });
    }
    const scanned = await scanSourceHostKeys(config.source, {
      baseDir: runtime.loaded.baseDir,
      secrets: new SecretResolver(runtime.loaded.baseDir),
      logger: createCliLogger({ verbosity: args.verbose ?? 0, logFile: args['log-file'] }),
    });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ provider: args.provider, host: scanned.host, port: scanned.port, keys: scanned.keys })}\n`);
      return;
    }
    const lines: string[] = [];
    for (const key of scanned.keys) {
      const state = key.pinned === undefined ? 'nothing pinned yet' : key.pinned ? 'pinned' : 'NOT pinned';
      lines.push(`# ${key.fingerprint} (${key.keyType}) ${state}`, key.knownHostsLine);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    process.stderr.write(
      `${args.provider}: ${scanned.keys.length} host key(s) of ${scanned.host}:${scanned.port}. Confirm a fingerprint with the partner out of band, then set source.hostKey to it or add its line to source.knownHosts.\n`,
    );
  },
};
