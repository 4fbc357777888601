import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { OctoError } from '../../errors/octo-error.js';
import { fingerprintOf, keyTypeOf, knownHostsName } from './host-key.js';

/** One host key a server showed, in the forms an operator pins. */
export interface ScannedHostKey {
  /** The key's own type (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...). */
  readonly keyType: string;
  /** `SHA256:...`, as `ssh-keygen -l` prints it (what `source.hostKey` takes). */
  readonly fingerprint: string;
  /** The known_hosts line for it (what `source.knownHosts` takes). */
  readonly knownHostsLine: string;
}

/** Where to scan, and how the TCP connection is made (a proxy or bastion supplies `sock`). */
export interface HostKeyScanTarget {
  readonly host: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  /** Opens the stream to the server for each attempt; a direct TCP connection when absent. */
  readonly openSocket?: () => Promise<Duplex>;
}

/** The host key algorithms asked for one at a time, so a server with several keys shows each of them. */
const SCANNED_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512'] as const;

/**
 * The explicit first contact: connects once per host key algorithm, takes the key the server
 * proves in the handshake and hangs up before authentication, so nothing is logged in to,
 * listed or downloaded. Keys come back in known_hosts form with their fingerprints; a key is
 * listed only once whatever the algorithms that proved it.
 */
export async function scanHostKeys(target: HostKeyScanTarget): Promise<ScannedHostKey[]> {
  const found = new Map<string, ScannedHostKey>();
  let lastError: Error | undefined;
  for (const algorithm of SCANNED_ALGORITHMS) {
    try {
      const key = await presentedKey(target, algorithm);
      if (!key) continue;
      const fingerprint = fingerprintOf(key);
      if (found.has(fingerprint)) continue;
      const keyType = keyTypeOf(key);
      found.set(fingerprint, { keyType, fingerprint, knownHostsLine: `${knownHostsName(target.host, target.port)} ${keyType} ${key.toString('base64')}` });
    } catch (error) {
      lastError = error as Error;
    }
  }
  if (found.size === 0) {
    throw new OctoError('source', `cannot scan the host keys of ${target.host}:${target.port}: ${lastError?.message ?? 'the server showed none'}`, { cause: lastError, fatal: true });
  }
  return [...found.values()];
}

/** The key the server proves for one algorithm, or undefined when it has none of that kind. */
async function presentedKey(target: HostKeyScanTarget, algorithm: string): Promise<Buffer | undefined> {
  const sock = target.openSocket ? await target.openSocket() : undefined;
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const client = new Client();
    let key: Buffer | undefined;
    const done = (error?: Error) => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end();
      sock?.destroy();
      if (key) resolve(key);
      else if (error && !/no matching|handshake failed|host key/i.test(error.message)) reject(error);
      else resolve(undefined);
    };
    client.on('error', (error) => done(error));
    client.on('ready', () => done());
    client.on('close', () => done());
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      ...(sock ? { sock } : {}),
      username: 'octo-hostkey-scan',
      readyTimeout: target.connectTimeoutMs,
      algorithms: { serverHostKey: [algorithm] as never },
      // Refusing the key ends the handshake before any authentication is tried.
      hostVerifier: (presented: Buffer) => {
        key = Buffer.from(presented);
        return false;
      },
    };
    client.connect(config);
  });
}
