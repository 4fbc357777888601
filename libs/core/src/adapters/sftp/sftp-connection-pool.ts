import SftpClient from 'ssh2-sftp-client';
import type { Duplex } from 'node:stream';
import type { ConnectConfig, SFTPWrapper } from 'ssh2';
import { OctoError } from '../../errors/octo-error.js';
import type { Logger } from '../../ports/logger.js';
import { fingerprintOf, keyTypeOf, verifyHostKey, type HostKeyPin } from './host-key.js';
import type { HostCertificates } from './host-certificate.js';
import { certifiedKeyTypes, hostCertificatesFor } from './host-certificates-for.js';
import { withTimeout } from '../../util/timing.js';
import { widenChannelWindow } from './sftp-channel-window.js';

/** Credentials for one SSH login, resolved from secret references at connect time. */
export interface SshCredentials {
  readonly privateKey?: Buffer;
  readonly passphrase?: string;
  readonly password?: string;
}

/** Everything needed to open one SFTP connection. */
export interface SftpConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Called for each new connection; secrets are resolved at use and never kept in logs. */
  readonly credentials: () => Promise<SshCredentials>;
  readonly pin: HostKeyPin;
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly logger: Logger;
  /** Opens the stream each connection rides on (a proxy or jump host); a direct TCP connection when absent. */
  readonly openSocket?: () => Promise<Duplex>;
  /** Per-provider SSH algorithms (`source.algorithms`), replacing ssh2's defaults per kind. */
  readonly algorithms?: SshAlgorithms;
  /** Answer keyboard-interactive prompts with the password. */
  readonly keyboardInteractive?: boolean;
  /** Leases at once per connection (`source.maxOpenFiles`); a borrower waits when every connection is at it. */
  readonly maxLeasesPerConnection?: number;
  /** The channel receive window to keep (`source.receiveWindowMiB`); ssh2's fixed 2 MiB when absent. */
  readonly receiveWindowBytes?: number;
}

/** SSH algorithm lists by kind, as `source.algorithms` gives them. */
export interface SshAlgorithms {
  readonly kex?: readonly string[];
  readonly cipher?: readonly string[];
  readonly serverHostKey?: readonly string[];
  readonly hmac?: readonly string[];
}

/** A connection borrowed from the pool. */
export interface SftpLease {
  readonly sftp: SFTPWrapper;
  /** Gives the connection back (it stays open for the next borrower). */
  release(): void;
  /** Gives it back as broken: it is closed and the next borrower gets a fresh one. */
  invalidate(): void;
}

interface Connection {
  readonly client: SftpClient;
  readonly sftp: SFTPWrapper;
  alive: boolean;
}

interface Slot {
  connection?: Connection;
  connecting?: Promise<Connection>;
  users: number;
}

/**
 * A small pool of SFTP connections (SFTP multiplexes many open files over one connection,
 * so leases share a slot; the pool spreads them over up to `size` connections). A fatal
 * connect error (host key, authentication) is kept and returned to every later borrower,
 * so a wrong password is tried once per job, not once per file.
 */
export class SftpConnectionPool {
  private readonly slots: Slot[];
  private fatal: OctoError | undefined;
  private warnedUnknownKey = false;
  /** The host's certificates, fetched once per pool when the pin trusts a CA. */
  private certificates: Promise<HostCertificates | undefined> | undefined;
  /** Borrowers waiting for a connection below `maxLeasesPerConnection`, first come first served. */
  private readonly waiting: Array<() => void> = [];

  constructor(
    size: number,
    private readonly options: SftpConnectOptions,
  ) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => ({ users: 0 }));
  }

  async acquire(): Promise<SftpLease> {
    if (this.fatal) throw this.fatal;
    await this.roomForLease();
    if (this.fatal) throw this.fatal;
    // Least-used slot first; an open connection wins a tie over one still to be made.
    const rank = (candidate: Slot) => candidate.users * 2 + Number(!candidate.connection?.alive);
    const slot = this.slots.reduce((best, candidate) => (rank(candidate) < rank(best) ? candidate : best));
    slot.users += 1;
    let connection: Connection;
    try {
      connection = await this.connectionFor(slot);
    } catch (error) {
      slot.users -= 1;
      this.waiting.shift()?.();
      throw error;
    }
    let returned = false;
    const giveBack = () => {
      if (returned) return;
      returned = true;
      slot.users -= 1;
      this.waiting.shift()?.();
    };
    return {
      sftp: connection.sftp,
      release: giveBack,
      invalidate: () => {
        giveBack();
        if (slot.connection === connection) slot.connection = undefined;
        connection.alive = false;
        void endConnection(connection.client);
      },
    };
  }

  /** Waits while every connection already has `maxLeasesPerConnection` leases (a server's limit on open files). */
  private async roomForLease(): Promise<void> {
    const max = this.options.maxLeasesPerConnection;
    if (max === undefined) return;
    while (this.slots.every((slot) => slot.users >= max)) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /**
   * Closes every connection; the pool can be used again afterwards (it reconnects). A
   * connection still being made is not waited for (a silent server would hold a cancelled
   * job for up to connectTimeoutMs): it is ended as soon as it is up, or fails by itself.
   */
  async close(): Promise<void> {
    const pending = this.slots.map(async (slot) => {
      const { connection, connecting } = slot;
      slot.connection = undefined;
      slot.connecting = undefined;
      if (!connection && connecting) {
        connecting.then(
          (late) => {
            late.alive = false;
            void endConnection(late.client);
          },
          () => undefined,
        );
        return;
      }
      if (connection) {
        connection.alive = false;
        await endConnection(connection.client);
      }
    });
    await Promise.all(pending);
    this.fatal = undefined;
    this.certificates = undefined;
  }

  private async connectionFor(slot: Slot): Promise<Connection> {
    if (slot.connection?.alive) return slot.connection;
    slot.connection = undefined;
    if (!slot.connecting) {
      const attempt = this.connect();
      slot.connecting = attempt;
      // An attempt that close() let go of is not the slot's any more: close() ends it.
      attempt.then(
        (connection) => {
          if (slot.connecting !== attempt) return;
          slot.connection = connection;
          slot.connecting = undefined;
        },
        () => {
          if (slot.connecting === attempt) slot.connecting = undefined;
        },
      );
    }
    return slot.connecting;
  }

  private async connect(): Promise<Connection> {
    if (this.fatal) throw this.fatal;
    const { host, port, username, pin, logger } = this.options;
    const target = `${username}@${host}:${port}`;
    const credentials = await this.options.credentials();
    const certificates = await this.hostCertificates();
    const sock = this.options.openSocket ? await this.options.openSocket() : undefined;
    let refusal: OctoError | undefined;
    const state: { connection?: Connection } = {};
    const markDead = () => {
      if (state.connection) state.connection.alive = false;
    };
    const client = new SftpClient(`octo ${target}`, {
      error: (error: unknown) => {
        markDead();
        logger.debug('sftp connection error', { target, error: error instanceof Error ? error.message : String(error) });
      },
      end: markDead,
      close: markDead,
    });
    const config: ConnectConfig = {
      host,
      port,
      ...(sock ? { sock } : {}),
      username,
      privateKey: credentials.privateKey,
      passphrase: credentials.passphrase,
      password: credentials.password,
      readyTimeout: this.options.connectTimeoutMs,
      keepaliveInterval: this.options.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        const verdict = verifyHostKey(pin, key, { host, port }, certificates);
        if (!verdict.ok) {
          refusal = verdict.error;
          return false;
        }
        if (pin.kind === 'accept-unknown') this.warnUnknownKey(key);
        if (verdict.detail) logger.debug('host key vouched for by a certificate', { target, fingerprint: fingerprintOf(key), certificate: verdict.detail });
        return true;
      },
    };
    const algorithms = sshAlgorithmsFor(pin, certificates, this.options.algorithms);
    if (algorithms) config.algorithms = algorithms;
    if (this.options.keyboardInteractive) {
      config.tryKeyboard = true;
      client.on('keyboard-interactive', answerPromptsWith(credentials));
    }
    try {
      const sftp = await client.connect(config);
      if (this.options.receiveWindowBytes) widenWindow(sftp, this.options.receiveWindowBytes, target, logger);
      const connection: Connection = { client, sftp, alive: true };
      state.connection = connection;
      // ssh2-sftp-client's own listeners skip events it considers handled; watch the socket directly too.
      client.on('close', markDead);
      client.on('end', markDead);
      logger.debug('sftp connected', { target });
      return connection;
    } catch (error) {
      await endConnection(client);
      const classified = refusal ?? classifyConnectError(error, target, credentials, this.options.connectTimeoutMs);
      if (classified.fatal) this.fatal = classified;
      throw classified;
    }
  }

  /** `ssh-keyscan -c` once per pool (a job), and only when a `@cert-authority` line applies. */
  private hostCertificates(): Promise<HostCertificates | undefined> {
    const { pin, host, port, connectTimeoutMs, openSocket } = this.options;
    this.certificates ??= hostCertificatesFor(pin, { host, port, timeoutMs: connectTimeoutMs, direct: !openSocket });
    return this.certificates;
  }

  private warnUnknownKey(key: Buffer): void {
    if (this.warnedUnknownKey) return;
    this.warnedUnknownKey = true;
    const { host, port } = this.options;
    const message =
      `UNPINNED SSH HOST KEY accepted for ${host}:${port} because source.acceptUnknownHostKey is true: ` +
      `${fingerprintOf(key)} (${keyTypeOf(key)}). Confirm this fingerprint with the partner, set source.hostKey to it ` +
      'and remove acceptUnknownHostKey: until then a man in the middle would go unnoticed.';
    this.options.logger.warn(message, { host, port, fingerprint: fingerprintOf(key) });
    // Loud even when the app gave no logger: Node prints warnings to stderr.
    process.emitWarning(message, { code: 'OCTO_UNPINNED_HOST_KEY' });
  }
}

/**
 * The algorithms one SSH connection offers: for a known_hosts pin, the host key types the file
 * pins or the host's certificates certify (so a server with several host keys shows a pinned one),
 * then `source.algorithms` replacing ssh2's defaults per kind. Undefined: ssh2's defaults.
 */
export function sshAlgorithmsFor(pin: HostKeyPin, certificates: HostCertificates | undefined, override: SshAlgorithms | undefined): ConnectConfig['algorithms'] {
  let algorithms: ConnectConfig['algorithms'];
  if (pin.kind === 'known-hosts') {
    const pinnedTypes = [...pin.entries.filter((entry) => !entry.revoked && !entry.certAuthority).map((entry) => entry.keyType), ...certifiedKeyTypes(certificates)];
    const types = [...new Set(pinnedTypes.flatMap((type) => hostKeyAlgorithmsFor(type)))];
    if (types.length > 0) algorithms = { serverHostKey: types as never };
  }
  if (override) algorithms = { ...algorithms, ...(override as ConnectConfig['algorithms']) };
  return algorithms;
}

/** A keyboard-interactive handler that answers every prompt with the password. */
export function answerPromptsWith(credentials: SshCredentials) {
  return (_name: string, _instructions: string, _lang: string, prompts: unknown[], finish: (answers: string[]) => void) => finish(prompts.map(() => credentials.password ?? ''));
}

/**
 * The host key algorithms that prove a key of this known_hosts type. An RSA key is also
 * offered with SHA-2 signatures (OpenSSH 8.8+ refuses SHA-1 `ssh-rsa`); types ssh2 cannot
 * verify are left out rather than break the handshake.
 */
export function hostKeyAlgorithmsFor(keyType: string): string[] {
  switch (keyType) {
    case 'ssh-rsa':
      return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    case 'ssh-ed25519':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
      return [keyType];
    default:
      return [];
  }
}

/** A wider SFTP channel window than ssh2's 2 MiB, so far-away servers are not capped at 2 MiB per round trip. */
function widenWindow(sftp: SFTPWrapper, bytes: number, target: string, logger: Logger): void {
  if (!widenChannelWindow(sftp, bytes)) logger.debug('sftp channel window left at ssh2 default (its internals changed); far-away servers will be slower', { target });
}

/**
 * Ends a connection politely, but never waits more than 2 s for a server that stopped
 * answering: then the socket is destroyed, so closing at job end cannot hang the job.
 */
async function endConnection(client: SftpClient): Promise<void> {
  await withTimeout(client.end(), 2_000, 'no answer to the disconnect').catch(() => {
    // ssh2-sftp-client's typings do not show the ssh2 Client it wraps.
    (client as unknown as { client?: { destroy?: () => void } }).client?.destroy?.();
  });
}

/** Turns what ssh2 throws on connect into an error a person can act on. */
export function classifyConnectError(error: unknown, target: string, credentials: SshCredentials, timeoutMs: number): OctoError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code;
  if (/all configured authentication methods failed/i.test(message)) {
    const tried = [credentials.privateKey ? 'private key' : undefined, credentials.password ? 'password' : undefined].filter(Boolean).join(' and ') || 'no credentials';
    // A password alone: the key advice would mislead; a server that only prompts needs keyboardInteractive.
    const advice = credentials.privateKey
      ? "Check source.privateKey / source.password (and the key's passphrase), and that the key is authorized for this user"
      : 'Check the secret source.password refers to, and that the server takes a password for this user (set source.keyboardInteractive: true if it asks through prompts)';
    return new OctoError('auth', `authentication failed for ${target}: the server refused the ${tried}. ${advice}`, { cause: error, fatal: true });
  }
  if (/cannot parse privatekey|private key|passphrase|bad decrypt/i.test(message)) {
    return new OctoError('auth', `cannot use the private key for ${target}: ${message.replace(/^[a-zA-Z]+: /, '')}. Check source.privateKey and source.privateKeyPassphrase`, {
      cause: error,
      fatal: true,
    });
  }
  const algorithm = /no matching (?:C->S |S->C )?(cipher|mac|key exchange|kex|host key) ?(?:algorithm|format)?/i.exec(message);
  if (algorithm) {
    const kind = { cipher: 'cipher', mac: 'hmac', 'key exchange': 'kex', kex: 'kex', 'host key': 'serverHostKey' }[(algorithm[1] ?? '').toLowerCase()] ?? 'cipher';
    return new OctoError(
      'source',
      `${target} and Octo share no SSH ${kind} algorithm (${message.replace(/^.*Handshake failed: /, '')}): ask the partner to enable a current one, or opt in to theirs with source.algorithms.${kind} (ssh -vv shows what the server offers)`,
      { cause: error, fatal: true },
    );
  }
  if (/timed out/i.test(message)) {
    return new OctoError('source', `no SSH handshake with ${target} within ${timeoutMs} ms: check the host, the port and the firewall`, { cause: error });
  }
  if (code === 'ECONNREFUSED' || /refused/i.test(message)) {
    return new OctoError('source', `${target} refused the connection: check the host and port, and that the SFTP server runs`, { cause: error });
  }
  if (code === 'ENOTFOUND' || /address lookup/i.test(message)) {
    return new OctoError('source', `cannot resolve the host of ${target}: check source.url`, { cause: error, fatal: true });
  }
  return new OctoError('source', `cannot connect to ${target}: ${message}`, { cause: error });
}
