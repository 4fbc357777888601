import { readFile } from 'node:fs/promises';
import type { SourceConfig } from '../../config/config-schema.js';
import { resolvePath } from '../../config/load-config.js';
import { OctoError } from '../../errors/octo-error.js';
import { parseKnownHosts, type HostKeyPin } from './host-key.js';

/** The pin part of an SFTP endpoint's config: the source's own, or a jump host's. */
export type HostKeyPinConfig = Pick<SourceConfig, 'hostKey' | 'knownHosts' | 'acceptUnknownHostKey'>;

/**
 * How a source's host key is checked, from its config: `hostKey` (one fingerprint or several,
 * so a partner can rotate without an outage), a `knownHosts` file, or an explicit first-contact
 * `acceptUnknownHostKey`. Nothing pinned is a fatal `hostkey` error that says how to pin.
 * `what` names the endpoint in messages; `field` is the config path of its settings.
 */
export async function hostKeyPinFromConfig(config: HostKeyPinConfig, baseDir: string, what: string, field = 'source'): Promise<HostKeyPin> {
  if (config.hostKey !== undefined) return { kind: 'fingerprint', fingerprints: [config.hostKey].flat() };
  if (config.knownHosts) {
    const file = resolvePath(baseDir, config.knownHosts);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new OctoError('hostkey', `cannot read ${field}.knownHosts ${config.knownHosts} (${(error as NodeJS.ErrnoException).code}); nothing was downloaded`, { cause: error, fatal: true });
    }
    return { kind: 'known-hosts', file: config.knownHosts, entries: parseKnownHosts(text) };
  }
  if (config.acceptUnknownHostKey) return { kind: 'accept-unknown' };
  throw new OctoError(
    'hostkey',
    `no host key pinned for ${what}: set ${field}.hostKey to the server's SHA256 fingerprint (octo hostkey scan prints it) or ${field}.knownHosts to a known_hosts file. ` +
      `For a first contact only, set ${field}.acceptUnknownHostKey: true to connect and log the fingerprint to pin. Nothing was downloaded.`,
    { fatal: true },
  );
}
