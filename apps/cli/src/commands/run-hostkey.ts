import { OctoError, scanSourceHostKeys, SecretResolver } from '@octo/core';
import { createCliLogger } from '../output/cli-logger.js';
import { printable } from '../output/terminal-text.js';
import { openRuntime } from '../runtime.js';
import type { HostkeyArgs } from './hostkey.js';

/** `octo hostkey scan`'s work, loaded only when it runs (`octo --help` does not load the pipeline). */
export async function runHostkey(args: HostkeyArgs): Promise<void> {
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
    // The key type is the server's word: printed so that it cannot reach the terminal as a sequence.
    lines.push(`# ${key.fingerprint} (${printable(key.keyType)}) ${state}`, printable(key.knownHostsLine));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stderr.write(
    `${args.provider}: ${scanned.keys.length} host key(s) of ${scanned.host}:${scanned.port}. Confirm a fingerprint with the partner out of band, then set source.hostKey to it or add its line to source.knownHosts.\n`,
  );
}
