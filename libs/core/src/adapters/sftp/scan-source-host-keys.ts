import type { SourceConfig } from '../../config/config-schema.js';
import { OctoError } from '../../errors/octo-error.js';
import type { AdapterDeps } from '../adapter-factories.js';
import { verifyHostKey } from './host-key.js';
import { hostKeyPinFromConfig } from './host-key-pin.js';
import { scanHostKeys, type ScannedHostKey } from './host-key-scan.js';
import { sshRouteFromConfig } from './ssh-route.js';
import { hostCertificatesFor } from './host-certificates-for.js';
import { parseSftpUrl } from './sftp-url.js';

/** A scanned key and whether the source's current pin accepts it (undefined: nothing is pinned yet). */
export interface SourceHostKey extends ScannedHostKey {
  readonly pinned: boolean | undefined;
}

/**
 * `octo hostkey scan`: the host keys of a provider's SFTP server, reached the way the source
 * reaches it (through its proxy or jump host), each marked as pinned or not by the source's
 * current `hostKey` or `knownHosts`. Connects without logging in; downloads nothing.
 */
export async function scanSourceHostKeys(config: SourceConfig, deps: AdapterDeps): Promise<{ readonly host: string; readonly port: number; readonly keys: readonly SourceHostKey[] }> {
  if (!config.url.startsWith('sftp://')) throw new OctoError('config', `source ${config.url} is not an sftp:// source: only SFTP servers have host keys to scan`, { fatal: true });
  const target = parseSftpUrl(config.url);
  const route = sshRouteFromConfig(config, deps);
  const keys = await scanHostKeys({
    host: target.host,
    port: target.port,
    connectTimeoutMs: config.connectTimeoutMs,
    ...(route ? { openSocket: () => route.open(target.host, target.port) } : {}),
  }).finally(() => route?.close());
  const pin = config.hostKey || config.knownHosts ? await hostKeyPinFromConfig({ ...config, acceptUnknownHostKey: false }, deps.baseDir, config.url) : undefined;
  const certificates = pin ? await hostCertificatesFor(pin, { host: target.host, port: target.port, timeoutMs: config.connectTimeoutMs, direct: !route }) : undefined;
  return {
    host: target.host,
    port: target.port,
    keys: keys.map((key) => ({
      ...key,
      pinned: pin ? verifyHostKey(pin, Buffer.from(key.knownHostsLine.split(' ')[2] ?? '', 'base64'), target, certificates).ok : undefined,
    })),
  };
}
