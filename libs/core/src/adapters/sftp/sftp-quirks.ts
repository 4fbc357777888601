import type { SourceConfig } from '../../config/config-schema.js';
import type { Logger } from '../../ports/logger.js';
import type { SshAlgorithms } from './sftp-connection-pool.js';

/** How one partner's server must be treated, as the pool takes it. */
export interface SftpQuirks {
  readonly algorithms?: SshAlgorithms;
  readonly keyboardInteractive?: boolean;
  readonly maxLeasesPerConnection?: number;
  /** `source.receiveWindowMiB` in bytes: the channel window kept instead of ssh2's 2 MiB. */
  readonly receiveWindowBytes?: number;
}

/**
 * The server-specific settings of a source: SSH algorithms (an explicit opt-in, logged once when
 * the source is built, since it may re-enable weak ones), keyboard-interactive login, the open
 * files per connection, the channel window (`receiveWindowMiB`), and `parallelReads: false` (one
 * read request in flight per file).
 */
export function sftpQuirksFromConfig(config: SourceConfig, logger: Logger): { quirks?: SftpQuirks; readsInFlight?: number } {
  const quirks: { -readonly [K in keyof SftpQuirks]: SftpQuirks[K] } = {};
  if (config.algorithms) {
    quirks.algorithms = config.algorithms;
    const listed = Object.entries(config.algorithms)
      .map(([kind, names]) => `${kind}=${(names as string[]).join(',')}`)
      .join(' ');
    logger.warn(`source ${config.url} offers only the SSH algorithms set in source.algorithms (${listed}) instead of ssh2's defaults: an opt-in for a legacy server; remove it once the partner upgrades`, {
      source: config.url,
      algorithms: config.algorithms,
    });
  }
  if (config.keyboardInteractive) quirks.keyboardInteractive = true;
  if (config.maxOpenFiles !== undefined) quirks.maxLeasesPerConnection = config.maxOpenFiles;
  if (config.receiveWindowMiB !== undefined) quirks.receiveWindowBytes = config.receiveWindowMiB * 1024 * 1024;
  return { ...(Object.keys(quirks).length > 0 ? { quirks } : {}), ...(config.parallelReads === false ? { readsInFlight: 1 } : {}) };
}
