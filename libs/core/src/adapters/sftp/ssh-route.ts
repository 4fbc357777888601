import net from 'node:net';
import type { Duplex } from 'node:stream';
import { SocksClient } from 'socks';
import { Client, type ConnectConfig } from 'ssh2';
import type { SourceConfig } from '../../config/config-schema.js';
import { OctoError } from '../../errors/octo-error.js';
import type { AdapterDeps } from '../adapter-factories.js';
import { fingerprintOf, verifyHostKey, type HostKeyPin } from './host-key.js';
import { hostKeyPinFromConfig } from './host-key-pin.js';
import { hostCertificatesFor } from './host-certificates-for.js';
import { withTimeout } from '../../util/timing.js';
import { widenChannelWindow } from './sftp-channel-window.js';

/**
 * How the TCP stream to a provider's SFTP server is made when it is not a direct connection:
 * a SOCKS5 or HTTP CONNECT proxy (partners allowlist source IPs), or an SSH jump host whose
 * `direct-tcpip` channel carries the SFTP connection. The jump host's own host key is pinned and
 * checked like the server's.
 */
export interface SshRoute {
  /** How the route is named in logs and messages (no secrets). */
  readonly description: string;
  /** A stream to `host:port` through the route, for one SSH connection. */
  open(host: string, port: number): Promise<Duplex>;
  /** Ends what the route keeps open (the jump host's connection). */
  close(): Promise<void>;
}

/** The route of a source's config, or undefined for a direct connection. */
export function sshRouteFromConfig(config: SourceConfig, deps: AdapterDeps): SshRoute | undefined {
  if (config.proxy && config.jumpHost) {
    throw new OctoError('config', `source ${config.url}: set either source.proxy or source.jumpHost, not both`, { fatal: true });
  }
  const timeoutMs = config.connectTimeoutMs;
  if (config.proxy) {
    const proxy = config.proxy;
    const url = new URL(proxy.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port || (url.protocol === 'http:' ? 80 : 1080));
    const description = `${url.protocol.replace(':', '')} proxy ${host}:${port}`;
    const credentials = async () => ({
      username: proxy.username ? await deps.secrets.resolvePassphrase(proxy.username) : undefined,
      password: proxy.password ? await deps.secrets.resolvePassphrase(proxy.password) : undefined,
    });
    return {
      description,
      open: async (targetHost, targetPort) => {
        const { username, password } = await credentials();
        try {
          if (url.protocol === 'socks5:') {
            const { socket } = await SocksClient.createConnection({
              proxy: { host, port, type: 5, ...(username ? { userId: username } : {}), ...(password ? { password } : {}) },
              command: 'connect',
              destination: { host: targetHost, port: targetPort },
              timeout: timeoutMs,
            });
            return socket;
          }
          return await httpConnect({ host, port }, { host: targetHost, port: targetPort }, timeoutMs, username, password);
        } catch (error) {
          throw new OctoError('source', `cannot reach ${targetHost}:${targetPort} through the ${description}: ${(error as Error).message}`, { cause: error });
        }
      },
      close: async () => undefined,
    };
  }
  if (config.jumpHost) return new JumpHostRoute(config.jumpHost, deps, timeoutMs, config.receiveWindowMiB);
  return undefined;
}

/** Opens a tunnel with `CONNECT host:port` and hands back the socket once the proxy answered 2xx. */
async function httpConnect(proxy: { host: string; port: number }, target: { host: string; port: number }, timeoutMs: number, username?: string, password?: string): Promise<Duplex> {
  const socket = net.connect({ host: proxy.host, port: proxy.port });
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const auth = username !== undefined ? `Proxy-Authorization: Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}\r\n` : '';
  const answered = new Promise<Duplex>((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16_384) fail(new Error('the proxy sent an answer too long to be an HTTP response'));
        return;
      }
      socket.off('data', onData);
      socket.off('error', fail);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'));
      if (!status || !status[1]?.startsWith('2')) {
        socket.destroy();
        reject(new Error(`the proxy refused the tunnel: ${head.subarray(0, head.indexOf('\r\n')).toString('latin1') || 'no status line'}`));
        return;
      }
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.on('data', onData);
    socket.on('error', fail);
    socket.once('connect', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`));
  });
  return withTimeout(answered, timeoutMs, `no answer from the proxy within ${timeoutMs} ms`).catch((error: unknown) => {
    socket.destroy();
    throw error;
  });
}

type JumpHostConfig = NonNullable<SourceConfig['jumpHost']>;

/**
 * An SSH jump host: one SSH connection to it, opened on first use and shared by every SFTP
 * connection of the source, each of which rides its own `direct-tcpip` channel (`forwardOut`).
 */
class JumpHostRoute implements SshRoute {
  readonly description: string;
  private client?: Promise<Client>;
  private readonly host: string;
  private readonly port: number;
  private readonly username: string;

  constructor(
    private readonly config: JumpHostConfig,
    private readonly deps: AdapterDeps,
    private readonly timeoutMs: number,
    /** `source.receiveWindowMiB`: the forwarded channel keeps the same window as the SFTP channel riding it. */
    private readonly receiveWindowMiB?: number,
  ) {
    const url = new URL(config.url);
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = Number(url.port || 22);
    this.username = decodeURIComponent(url.username);
    this.description = `jump host ${this.username}@${this.host}:${this.port}`;
  }

  async open(host: string, port: number): Promise<Duplex> {
    const client = await this.connected();
    return withTimeout(
      new Promise<Duplex>((resolve, reject) => {
        // The SFTP connection inside rides this channel: ssh2's 2 MiB window would cap it again.
        client.forwardOut('127.0.0.1', 0, host, port, (error, channel) => (error ? reject(error) : resolve(widened(channel, this.receiveWindowMiB))));
      }),
      this.timeoutMs,
      `the ${this.description} did not open a channel within ${this.timeoutMs} ms`,
    ).catch((error: unknown) => {
      throw new OctoError('source', `the ${this.description} cannot reach ${host}:${port}: ${(error as Error).message} (is TCP forwarding allowed there?)`, { cause: error });
    });
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    (await client?.catch(() => undefined))?.end();
  }

  private connected(): Promise<Client> {
    this.client ??= this.connect();
    this.client.catch(() => {
      this.client = undefined;
    });
    return this.client;
  }

  private async connect(): Promise<Client> {
    const { config, deps } = this;
    if (!config.privateKey && !config.password) {
      throw new OctoError('config', `source.jumpHost ${this.description}: set source.jumpHost.privateKey or source.jumpHost.password (a secret reference)`, { fatal: true });
    }
    const pin: HostKeyPin = await hostKeyPinFromConfig(config, deps.baseDir, `the ${this.description}`, 'source.jumpHost');
    const privateKey = config.privateKey ? await deps.secrets.resolveBytes(config.privateKey) : undefined;
    const passphrase = config.privateKeyPassphrase ? await deps.secrets.resolvePassphrase(config.privateKeyPassphrase) : undefined;
    const password = config.password ? await deps.secrets.resolvePassphrase(config.password) : undefined;
    // The jump host itself is reached directly, so its certificate can be fetched.
    const certificates = await hostCertificatesFor(pin, { host: this.host, port: this.port, timeoutMs: this.timeoutMs, direct: true });
    const client = new Client();
    let refusal: OctoError | undefined;
    return new Promise<Client>((resolve, reject) => {
      client.once('ready', () => {
        client.removeAllListeners('error');
        // A jump host that drops later is reconnected by the next open().
        client.on('error', () => undefined);
        client.once('close', () => {
          if (this.client) this.client = undefined;
        });
        deps.logger.debug('ssh jump host connected', { via: this.description });
        resolve(client);
      });
      client.once('error', (error) => {
        client.end();
        const level = (error as { level?: string }).level;
        if (refusal) reject(refusal);
        else if (level === 'client-authentication') {
          reject(new OctoError('auth', `the ${this.description} refused the login of ${this.username}: check source.jumpHost.privateKey or source.jumpHost.password`, { cause: error, fatal: true }));
        } else reject(new OctoError('source', `cannot connect to the ${this.description}: ${error.message}`, { cause: error }));
      });
      const connect: ConnectConfig = {
        host: this.host,
        port: this.port,
        username: this.username,
        ...(privateKey ? { privateKey } : {}),
        ...(passphrase ? { passphrase } : {}),
        ...(password ? { password } : {}),
        readyTimeout: this.timeoutMs,
        keepaliveInterval: 10_000,
        hostVerifier: (key: Buffer) => {
          const verdict = verifyHostKey(pin, key, { host: this.host, port: this.port }, certificates);
          if (!verdict.ok) refusal = new OctoError('hostkey', `source.jumpHost: ${verdict.error.message}`, { fatal: true });
          else if (pin.kind === 'accept-unknown') deps.logger.warn(`UNPINNED SSH HOST KEY accepted for the ${this.description}: ${fingerprintOf(key)}; pin it in source.jumpHost.hostKey`, {});
          return verdict.ok;
        },
      };
      client.connect(connect);
    });
  }
}

/** A forwarded channel with the source's window, when it sets one (see {@link widenChannelWindow}). */
function widened(channel: Duplex, windowMiB: number | undefined): Duplex {
  if (windowMiB) widenChannelWindow(channel, windowMiB * 1024 * 1024);
  return channel;
}
