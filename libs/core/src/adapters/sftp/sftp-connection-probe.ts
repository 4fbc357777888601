import { Client, type ConnectConfig } from 'ssh2';
import { OctoError } from '../../errors/octo-error.js';
import { fingerprintOf, keyTypeOf, verifyHostKey, type HostKeyPin } from './host-key.js';
import { answerPromptsWith, classifyConnectError, sshAlgorithmsFor, type SshCredentials } from './sftp-connection-pool.js';
import type { SftpQuirks } from './sftp-quirks.js';
import type { SshRoute } from './ssh-route.js';
import type { HostCertificates } from './host-certificate.js';
import { hostCertificatesFor } from './host-certificates-for.js';
import type { SftpTarget } from './sftp-url.js';

/** What {@link probeSftpConnection} needs: the same settings the source connects with. */
export interface SftpProbeOptions {
  readonly target: SftpTarget;
  readonly credentials: () => Promise<SshCredentials>;
  readonly pin: () => Promise<HostKeyPin>;
  readonly connectTimeoutMs: number;
  readonly route?: SshRoute;
  /** `source.algorithms` and `keyboardInteractive`, offered as the source's own connections offer them. */
  readonly quirks?: SftpQuirks;
}

/** One stage of the probe, passed or failed, and how long it took. */
export interface ProbeStage {
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

/**
 * Connects once the way the source does and reports the two stages apart: the handshake with the
 * pinned host key (`connect`), then the login (`login`), each with its own reason. Opens no SFTP
 * session; the connection is closed at once.
 */
export async function probeSftpConnection(options: SftpProbeOptions): Promise<{ connect: ProbeStage; login?: ProbeStage }> {
  const { host, port, username } = options.target;
  const where = `${username}@${host}:${port}`;
  const started = Date.now();
  let pin: HostKeyPin;
  let credentials: SshCredentials;
  let certificates: HostCertificates | undefined;
  let sock;
  try {
    pin = await options.pin();
    credentials = await options.credentials();
    certificates = await hostCertificatesFor(pin, { host, port, timeoutMs: options.connectTimeoutMs, direct: !options.route });
    sock = options.route ? await options.route.open(host, port) : undefined;
  } catch (error) {
    return { connect: { ok: false, detail: OctoError.wrap('source', error, where).message, ms: Date.now() - started } };
  }
  return new Promise((resolve) => {
    const client = new Client();
    let refusal: OctoError | undefined;
    let presented: string | undefined;
    let matched = 'matches the pin';
    let handshakeAt: number | undefined;
    const finish = (result: { connect: ProbeStage; login?: ProbeStage }) => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end();
      sock?.destroy();
      resolve(result);
    };
    client.on('handshake', () => {
      handshakeAt = Date.now();
    });
    client.on('ready', () => {
      const connect = { ok: true, detail: `host key ${presented} ${matched}${options.route ? ` (via the ${options.route.description})` : ''}`, ms: (handshakeAt ?? Date.now()) - started };
      finish({ connect, login: { ok: true, detail: `logged in as ${username}`, ms: Date.now() - (handshakeAt ?? started) } });
    });
    client.on('error', (error) => {
      if (refusal || handshakeAt === undefined) {
        const reason = refusal ?? classifyConnectError(error, where, credentials, options.connectTimeoutMs);
        finish({ connect: { ok: false, detail: reason.message, ms: Date.now() - started } });
        return;
      }
      const connect = { ok: true, detail: `host key ${presented} ${matched}`, ms: handshakeAt - started };
      finish({ connect, login: { ok: false, detail: classifyConnectError(error, where, credentials, options.connectTimeoutMs).message, ms: Date.now() - handshakeAt } });
    });
    const config: ConnectConfig = {
      host,
      port,
      ...(sock ? { sock } : {}),
      username,
      ...(credentials.privateKey ? { privateKey: credentials.privateKey } : {}),
      ...(credentials.passphrase ? { passphrase: credentials.passphrase } : {}),
      ...(credentials.password ? { password: credentials.password } : {}),
      readyTimeout: options.connectTimeoutMs,
      hostVerifier: (key: Buffer) => {
        presented = `${fingerprintOf(key)} (${keyTypeOf(key)})`;
        const verdict = verifyHostKey(pin, key, { host, port }, certificates);
        if (!verdict.ok) refusal = verdict.error;
        else if (verdict.detail) matched = `is vouched for by its ${verdict.detail}`;
        return verdict.ok;
      },
    };
    const algorithms = sshAlgorithmsFor(pin, certificates, options.quirks?.algorithms);
    if (algorithms) config.algorithms = algorithms;
    if (options.quirks?.keyboardInteractive) {
      config.tryKeyboard = true;
      client.on('keyboard-interactive', answerPromptsWith(credentials));
    }
    try {
      client.connect(config);
    } catch (error) {
      finish({ connect: { ok: false, detail: OctoError.wrap('config', error, where).message, ms: Date.now() - started } });
    }
  });
}
