import path from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SFTPWrapper, Stats } from 'ssh2';
import type { SourceConfig } from '../../config/config-schema.js';
import { OctoError } from '../../errors/octo-error.js';
import { percentEncodeBytes } from '../../rules/name-bytes.js';
import { sourcePathBytes, sourcePathOf } from '../../rules/source-path.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type { ListOptions, RemoteFile, RemoteSource } from '../../ports/remote-source.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import type { HostKeyPin } from './host-key.js';
import { SftpConnectionPool, type SshCredentials } from './sftp-connection-pool.js';
import { SftpRawNames, type RawAttrs } from './sftp-raw-names.js';
import { SftpReadStream } from './sftp-read-stream.js';
import { parseSftpUrl, type SftpTarget } from './sftp-url.js';
import { hostKeyPinFromConfig } from './host-key-pin.js';
import { sshRouteFromConfig, type SshRoute } from './ssh-route.js';
import { probeSftpConnection, type ProbeStage } from './sftp-connection-probe.js';
import { sftpQuirksFromConfig, type SftpQuirks } from './sftp-quirks.js';
import { backoffMs, withTimeout } from '../../util/timing.js';

/** Connect attempts per listing or stat before it fails: a server that did not answer twice is not answering. */
export const MAX_CONNECT_ATTEMPTS = 2;

/** A connect failure, saying how many attempts it took and how long, so the time a person waited matches the message. */
function connectFailure(error: unknown, context: string, attempts: number, elapsedMs: number): OctoError {
  const wrapped = OctoError.wrap('source', error, context);
  const tried = `${attempts} attempt${attempts === 1 ? '' : 's'} over ${(elapsedMs / 1000).toFixed(1)} s`;
  return new OctoError(wrapped.kind, `${wrapped.message} (${tried})`, { cause: error, fatal: wrapped.fatal });
}

/** Resolved settings of an {@link SftpRemoteSource}. */
export interface SftpRemoteSourceOptions {
  readonly target: SftpTarget;
  /** Resolved for each new connection (secrets are read at use). */
  readonly credentials: () => Promise<SshCredentials>;
  /** Resolved at first use; rejects (fatal `hostkey`) when nothing pins the host key. */
  readonly pin: () => Promise<HostKeyPin>;
  readonly recursive?: boolean;
  readonly connectTimeoutMs?: number;
  readonly readTimeoutMs?: number;
  /** Connections in the pool. */
  readonly connections?: number;
  /** Reconnects per file (and per listing) before it fails. */
  readonly resumeRetries?: number;
  readonly keepaliveIntervalMs?: number;
  /** Bytes per SFTP read request. */
  readonly chunkBytes?: number;
  /** Read requests in flight per file. */
  readonly readsInFlight?: number;
  /** First reconnect delay (doubles per attempt, with jitter). */
  readonly retryBaseDelayMs?: number;
  /** A proxy or jump host the connections go through. */
  readonly route?: SshRoute;
  /** The connection settings of a partner's server as it is (`source.algorithms`, `keyboardInteractive`, `maxOpenFiles`). */
  readonly quirks?: SftpQuirks;
  readonly logger?: Logger;
}

/**
 * A provider's SFTP drop (ssh2-sftp-client over ssh2). The host key must be pinned, by
 * fingerprint or known_hosts file, or explicitly accepted on first contact. Files are
 * read as streams with pipelined requests and resume after a dropped connection; the
 * server is never written to.
 */
export class SftpRemoteSource implements RemoteSource {
  readonly description: string;
  private poolPromise: Promise<SftpConnectionPool> | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: SftpRemoteSourceOptions) {
    const { username, host, port, root } = options.target;
    this.description = `sftp://${username}@${host}:${port}${root}`;
    this.logger = options.logger ?? silentLogger;
  }

  /** Builds the source from its config entry: secrets and the known_hosts file are read at first use. */
  static fromConfig(config: SourceConfig, deps: { baseDir: string; secrets: SecretResolver; logger: Logger }): SftpRemoteSource {
    const target = parseSftpUrl(config.url);
    if (!config.privateKey && !config.password) {
      throw new OctoError('config', `source ${config.url}: set source.privateKey or source.password (a secret reference such as env:NAME or file:PATH)`, { fatal: true });
    }
    if (config.hostKey && config.knownHosts) {
      throw new OctoError('config', `source ${config.url}: set either source.hostKey or source.knownHosts, not both`, { fatal: true });
    }
    const source: SftpRemoteSource = new SftpRemoteSource({
      target,
      recursive: config.recursive,
      connectTimeoutMs: config.connectTimeoutMs,
      readTimeoutMs: config.readTimeoutMs,
      connections: config.connections,
      resumeRetries: config.resumeRetries,
      logger: deps.logger,
      ...withRoute(sshRouteFromConfig(config, deps)),
      ...sftpQuirksFromConfig(config, deps.logger),
      credentials: async () => ({
        privateKey: config.privateKey ? await deps.secrets.resolveBytes(config.privateKey) : undefined,
        passphrase: config.privateKeyPassphrase ? await deps.secrets.resolvePassphrase(config.privateKeyPassphrase) : undefined,
        password: config.password ? await deps.secrets.resolvePassphrase(config.password) : undefined,
      }),
      pin: () => hostKeyPinFromConfig(config, deps.baseDir, source.description),
    });
    return source;
  }

  async list(options: ListOptions = {}): Promise<RemoteFile[]> {
    const files = await this.withConnection('list', async (sftp) => {
      const found: RemoteFile[] = [];
      await this.walk(sftp, Buffer.from(this.options.target.root), [], found, options.signal);
      return found;
    });
    return files;
  }

  async open(file: RemoteFile, options: { offset?: number; signal?: AbortSignal } = {}): Promise<Readable> {
    const pool = await this.pool();
    return new SftpReadStream(pool, {
      remotePath: this.remotePath(file.path, file.rawPath),
      displayPath: file.path,
      size: file.size,
      offset: options.offset ?? 0,
      chunkBytes: this.options.chunkBytes,
      readsInFlight: this.options.readsInFlight,
      readTimeoutMs: this.options.readTimeoutMs ?? 60_000,
      retries: this.options.resumeRetries ?? 5,
      retryBaseDelayMs: this.options.retryBaseDelayMs ?? 250,
      signal: options.signal,
      logger: this.logger,
    });
  }

  async readSmall(filePath: string, maxBytes: number, rawPath?: string): Promise<Buffer> {
    const remotePath = this.remotePath(filePath, rawPath);
    // Named by the file, not only the source: a missing signature must say which.
    const stats = await this.withConnection(`stat ${filePath} in`, (sftp) =>
      typeof remotePath === 'string'
        ? this.timed(new Promise<Stats>((resolve, reject) => sftp.stat(remotePath, (error, attrs) => (error ? reject(error) : resolve(attrs)))))
        : this.timed(SftpRawNames.of(sftp).stat(remotePath)),
    );
    if (stats.size > maxBytes) throw new OctoError('source', `${filePath} is ${stats.size} bytes, more than the ${maxBytes} expected`);
    const stream = await this.open({ path: filePath, ...(rawPath === undefined ? {} : { rawPath }), size: stats.size, mtimeMs: stats.mtime * 1000 });
    return buffer(stream);
  }

  /**
   * SFTP's own rename, which OpenSSH refuses over an existing file (SSH_FX_FAILURE): then the
   * target is looked up, and an existing one is `false`, anything else the server's error.
   * `to`'s folders are made first, one by one.
   */
  async rename(from: string, to: string): Promise<boolean> {
    const [source, target] = [this.remotePath(from) as string, this.remotePath(to) as string];
    return this.withConnection(`move ${from} to ${to} in`, async (sftp) => {
      await this.makeFolders(sftp, path.posix.dirname(to));
      try {
        await this.timed(new Promise<void>((resolve, reject) => sftp.rename(source, target, (error) => (error ? reject(error) : resolve()))));
        return true;
      } catch (error) {
        if ((error as { code?: number }).code !== 4) throw error;
        const exists = await this.timed(new Promise<boolean>((resolve) => sftp.stat(target, (statError) => resolve(!statError))));
        if (exists) return false;
        throw error;
      }
    });
  }

  async remove(file: string): Promise<void> {
    const remote = this.remotePath(file) as string;
    await this.withConnection(`delete ${file} in`, (sftp) =>
      this.timed(
        new Promise<void>((resolve, reject) =>
          sftp.unlink(remote, (error) => (error && (error as { code?: number }).code !== 2 ? reject(error) : resolve())),
        ),
      ),
    );
  }

  /** Makes each missing folder of `relative` (under the root), as `mkdir -p` does. */
  private async makeFolders(sftp: SFTPWrapper, relative: string): Promise<void> {
    if (relative === '.' || relative === '') return;
    let current = '';
    for (const part of relative.split('/')) {
      current = current ? `${current}/${part}` : part;
      const remote = this.remotePath(current) as string;
      const isFolder = await this.timed(new Promise<boolean>((resolve) => sftp.stat(remote, (error, attrs) => resolve(!error && attrs.isDirectory()))));
      if (isFolder) continue;
      await this.timed(new Promise<void>((resolve, reject) => sftp.mkdir(remote, (error) => (error ? reject(error) : resolve()))));
    }
  }

  /** For `octo check`: the handshake with the pinned host key and the login, each reported on its own. */
  probeConnection(): Promise<{ connect: ProbeStage; login?: ProbeStage }> {
    const { target, credentials, pin, route, quirks } = this.options;
    return probeSftpConnection({ target, credentials, pin, connectTimeoutMs: this.options.connectTimeoutMs ?? 20_000, ...(route ? { route } : {}), ...(quirks ? { quirks } : {}) });
  }

  async close(): Promise<void> {
    const pool = await this.poolPromise?.catch(() => undefined);
    this.poolPromise = undefined;
    await pool?.close();
    await this.options.route?.close();
  }

  private pool(): Promise<SftpConnectionPool> {
    if (!this.poolPromise) {
      this.poolPromise = (async () => {
        const pin = await this.options.pin();
        const route = this.options.route;
        return new SftpConnectionPool(this.options.connections ?? 2, {
          host: this.options.target.host,
          port: this.options.target.port,
          username: this.options.target.username,
          credentials: this.options.credentials,
          pin,
          connectTimeoutMs: this.options.connectTimeoutMs ?? 20_000,
          keepaliveIntervalMs: this.options.keepaliveIntervalMs ?? 10_000,
          logger: this.logger,
          ...(route ? { openSocket: () => route.open(this.options.target.host, this.options.target.port) } : {}),
          ...this.options.quirks,
        });
      })();
      // A refused pin is reported each time until fixed; do not cache the failure.
      this.poolPromise.catch(() => {
        this.poolPromise = undefined;
      });
    }
    return this.poolPromise;
  }

  /**
   * Runs `work` on a pooled connection, reconnecting (bounded) when the connection drops. A
   * server that cannot be connected to is tried {@link MAX_CONNECT_ATTEMPTS} times at most, so
   * a silent one fails after about that many `connectTimeoutMs`, and the message says so.
   */
  private async withConnection<T>(what: string, work: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const pool = await this.pool();
    const retries = this.options.resumeRetries ?? 5;
    const started = Date.now();
    let connectFailures = 0;
    for (let attempt = 0; ; attempt += 1) {
      const lease = await pool.acquire().catch((error: unknown) => {
        if (OctoError.is(error) && error.fatal) throw error;
        connectFailures += 1;
        if (attempt >= retries || connectFailures >= MAX_CONNECT_ATTEMPTS) throw connectFailure(error, `cannot ${what} ${this.description}`, connectFailures, Date.now() - started);
        return undefined;
      });
      if (lease) {
        try {
          const result = await work(lease.sftp);
          lease.release();
          return result;
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (OctoError.is(error) || typeof code === 'number') {
            // An SFTP status (no such file, permission denied): the connection is fine.
            lease.release();
            throw this.statusError(what, error);
          }
          lease.invalidate();
          if (attempt >= retries) throw OctoError.wrap('source', error, `cannot ${what} ${this.description}`);
        }
      }
      await sleep(backoffMs(this.options.retryBaseDelayMs ?? 250, attempt));
    }
  }

  private statusError(what: string, error: unknown): OctoError {
    if (OctoError.is(error)) return error;
    const code = (error as { code?: number }).code;
    const message = (error as Error).message;
    if (code === 2) return new OctoError('source', `cannot ${what} ${this.description}: ${message} (no such file or folder; check the source path)`, { cause: error, fatal: what === 'list' });
    if (code === 3) return new OctoError('source', `cannot ${what} ${this.description}: permission denied for user ${this.options.target.username}`, { cause: error, fatal: what === 'list' });
    return new OctoError('source', `cannot ${what} ${this.description}: ${message}`, { cause: error });
  }

  private async walk(sftp: SFTPWrapper, dir: Buffer, segments: readonly Buffer[], found: RemoteFile[], signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new OctoError('cancelled', 'the listing was cancelled');
    // Names are read as bytes (ssh2 would turn a Latin-1 name into U+FFFD); each folder's listing is timed.
    const raw = SftpRawNames.of(sftp);
    const { entries, skipped } = await this.timed(raw.readdir(dir));
    for (const name of skipped) {
      // A name with a slash or NUL could climb out of the root or into another file's key.
      this.logger.warn('the SFTP server listed a name that is not a plain file name; it was skipped', {
        folder: sourcePathOf(segments).path,
        name: percentEncodeBytes(name),
      });
    }
    for (const entry of entries) {
      const here = [...segments, entry.filename];
      const full = Buffer.concat([dir, SLASH, entry.filename]);
      let attrs: RawAttrs = entry.attrs;
      if (attrs.isSymbolicLink()) {
        const target = await this.linkTarget(raw, full);
        if (target === undefined) {
          // A link to nothing is a delivery that is not there: said, not skipped.
          found.push({ ...sourcePathOf(here), size: 0, mtimeMs: attrs.mtime * 1000, refused: LINK_TO_NOTHING });
          continue;
        }
        // Follow links to files only: a link to a folder could loop.
        if (target.isDirectory()) continue;
        attrs = target;
      }
      if (attrs.isDirectory()) {
        if (this.options.recursive ?? true) await this.walk(sftp, full, here, found, signal);
      } else if (attrs.isFile()) {
        found.push({ ...sourcePathOf(here), size: attrs.size, mtimeMs: attrs.mtime * 1000 });
      } else {
        found.push({ ...sourcePathOf(here), size: 0, mtimeMs: attrs.mtime * 1000, refused: NOT_A_REGULAR_FILE });
      }
    }
  }

  /** What a listed link points to; undefined when the server says it points to nothing it can read (missing, a loop, no permission). */
  private async linkTarget(raw: SftpRawNames, link: Buffer): Promise<RawAttrs | undefined> {
    try {
      return await this.timed(raw.stat(link));
    } catch (error) {
      // An SFTP status is the server's answer about the link; anything else (a timeout, a lost connection) is the listing's failure.
      if (typeof (error as { code?: unknown }).code === 'number') return undefined;
      throw error;
    }
  }

  private timed<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.readTimeoutMs ?? 60_000;
    return withTimeout(promise, ms, `no answer from the SFTP server within ${ms} ms`);
  }

  /** The remote path of a listed file: a string for UTF-8 names, the exact bytes otherwise; never outside the root. */
  private remotePath(relative: string, rawPath?: string): string | Buffer {
    const bytes = sourcePathBytes({ path: relative, rawPath });
    const segments = bytes.toString('latin1').split('/');
    if (bytes[0] === 0x2f || segments.some((segment) => segment === '..' || segment === '' || segment.includes('\0'))) {
      throw new OctoError('unsafe', `${relative} is not a path inside ${this.description}`);
    }
    if (rawPath === undefined) return path.posix.join(this.options.target.root, relative);
    return Buffer.concat([Buffer.from(this.options.target.root.replace(/\/+$/, '')), SLASH, bytes]);
  }
}

const SLASH = Buffer.from('/');

const LINK_TO_NOTHING = 'is a symbolic link to nothing the SFTP user can read (its target is missing, loops, or is not readable): ask the partner to put the file itself there';
const NOT_A_REGULAR_FILE = 'is not a regular file (a named pipe, socket or device), so it holds no delivery: ask the partner to remove it';

/** The route option, only when there is one (exactOptionalPropertyTypes). */
function withRoute(route: SshRoute | undefined): { route?: SshRoute } {
  return route ? { route } : {};
}
