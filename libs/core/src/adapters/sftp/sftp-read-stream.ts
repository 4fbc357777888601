import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SFTPWrapper } from 'ssh2';
import { OctoError } from '../../errors/octo-error.js';
import type { Logger } from '../../ports/logger.js';
import type { SftpConnectionPool, SftpLease } from './sftp-connection-pool.js';
import { SftpRawNames } from './sftp-raw-names.js';
import { backoffMs, withTimeout } from '../../util/timing.js';

/** How a file is read. */
export interface SftpReadOptions {
  /** Remote absolute path: its exact bytes when the name is not UTF-8. */
  readonly remotePath: string | Buffer;
  /** Path shown in messages (relative to the source root). */
  readonly displayPath: string;
  /** The size the listing reported: the stream ends exactly there or fails. */
  readonly size: number;
  /** First byte to read. */
  readonly offset: number;
  /** Bytes per SFTP read request (OpenSSH serves up to 256 KiB); default {@link SFTP_READ_DEFAULTS}. */
  readonly chunkBytes?: number;
  /** Read requests in flight at once (pipelining hides the round trip); default {@link SFTP_READ_DEFAULTS}. */
  readonly readsInFlight?: number;
  /** A read with no answer for this long counts as a dropped connection. */
  readonly readTimeoutMs: number;
  /** Reconnects allowed for this file before it fails. */
  readonly retries: number;
  /** First backoff delay; it doubles per attempt up to 10 s, each wait drawn from its upper half (see {@link backoffMs}). */
  readonly retryBaseDelayMs: number;
  readonly signal?: AbortSignal;
  readonly logger: Logger;
}

/**
 * 32 reads of 128 KiB in flight: 4 MiB per round trip, enough for about 80 MB/s at 50 ms, and
 * fewer, larger packets cost less CPU on loopback than 16 x 64 KiB (measured in tools/bench).
 */
export const SFTP_READ_DEFAULTS = { chunkBytes: 128 * 1024, readsInFlight: 32 } as const;

interface ReadRequest {
  readonly offset: number;
  readonly length: number;
  readonly result: Promise<Buffer>;
}

/** Opens a file by its path, or by its exact bytes when its name is not UTF-8 (ssh2 sends paths as UTF-8). */
function openForRead(sftp: SFTPWrapper, remotePath: string | Buffer): Promise<Buffer> {
  if (typeof remotePath !== 'string') return SftpRawNames.of(sftp).openForRead(remotePath);
  return new Promise<Buffer>((resolve, reject) => sftp.open(remotePath, 'r', (error, handle) => (error ? reject(error) : resolve(handle))));
}

/** An error that reconnecting cannot fix (the file itself is wrong, or the job must stop). */
class Permanent extends Error {
  constructor(readonly error: OctoError) {
    super(error.message);
  }
}

/**
 * A file's bytes over SFTP, with several read requests in flight, delivered strictly in
 * order. When the connection drops (or a read times out), it reconnects with backoff and
 * resumes from the last byte delivered, so the consumer sees one intact stream. It ends
 * exactly at the listed size: a short file, or one that grew, is an error, never a
 * silently different byte count (fastGet's known failure).
 */
export class SftpReadStream extends Readable {
  private position: number;
  private requested: number;
  private queue: ReadRequest[] = [];
  private lease: SftpLease | undefined;
  private handle: Buffer | undefined;
  private pumping = false;
  private reconnects = 0;
  private readonly chunkBytes: number;
  private readonly readsInFlight: number;

  constructor(
    private readonly pool: SftpConnectionPool,
    private readonly options: SftpReadOptions,
  ) {
    const chunkBytes = options.chunkBytes ?? SFTP_READ_DEFAULTS.chunkBytes;
    super({ highWaterMark: chunkBytes * 2 });
    this.chunkBytes = chunkBytes;
    this.readsInFlight = options.readsInFlight ?? SFTP_READ_DEFAULTS.readsInFlight;
    this.position = options.offset;
    this.requested = options.offset;
  }

  /** How many times the stream reconnected and resumed. */
  get resumes(): number {
    return this.reconnects;
  }

  override _read(): void {
    void this.pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.dropConnection(false);
    callback(error);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.destroyed) {
        const chunk = await this.next();
        if (this.destroyed) return;
        if (chunk === null) {
          this.dropConnection(false);
          this.push(null);
          return;
        }
        if (!this.push(chunk)) return;
      }
    } catch (error) {
      this.destroy(error as Error);
    } finally {
      this.pumping = false;
      // Destroyed while a connect or read was awaited: _destroy already ran, so give back
      // the lease and handle that arrived after it.
      if (this.destroyed) this.dropConnection(false);
    }
  }

  /** The next chunk in order, reconnecting as needed; `null` at the end. */
  private async next(): Promise<Buffer | null> {
    const { displayPath, size, retries, signal } = this.options;
    for (;;) {
      if (signal?.aborted) throw new OctoError('cancelled', `${displayPath}: the job was cancelled`);
      if (this.destroyed) return null;
      try {
        return await this.attempt();
      } catch (error) {
        if (error instanceof Permanent) throw error.error;
        if (signal?.aborted) throw new OctoError('cancelled', `${displayPath}: the job was cancelled`, { cause: error });
        if (OctoError.is(error) && (error.fatal || error.kind === 'cancelled')) throw error;
        this.dropConnection(true);
        if (this.reconnects >= retries) {
          throw new OctoError(
            'source',
            `${displayPath}: the SFTP transfer dropped at byte ${this.position} of ${size} and ${retries} reconnect${retries === 1 ? '' : 's'} did not get it through (${errorText(error)}); nothing was landed, it will be retried next run`,
            { cause: error },
          );
        }
        const wait = backoffMs(this.options.retryBaseDelayMs, this.reconnects);
        this.reconnects += 1;
        this.options.logger.warn('sftp transfer dropped; reconnecting to resume', {
          path: displayPath,
          offset: this.position,
          size,
          attempt: this.reconnects,
          delayMs: wait,
          error: errorText(error),
        });
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          throw new OctoError('cancelled', `${displayPath}: the job was cancelled`);
        }
      }
    }
  }

  private async attempt(): Promise<Buffer | null> {
    const { size, displayPath } = this.options;
    const { sftp, handle } = await this.open();
    this.fill(sftp, handle);
    const head = this.queue.shift();
    if (!head) {
      // Everything listed was delivered; the file must end here.
      const probe = await this.withTimeout(readAt(sftp, handle, size, 1));
      if (probe.length > 0) {
        throw new Permanent(
          new OctoError('source', `${displayPath}: the file is longer than the ${size} bytes listed; it is still being written, it will be retried next run`),
        );
      }
      return null;
    }
    const data = await this.withTimeout(head.result);
    if (data.length === 0) {
      throw new Permanent(
        new OctoError('source', `${displayPath}: the server ended the file at byte ${head.offset} but listed ${size} bytes; it was truncated or replaced, it will be retried next run`),
      );
    }
    if (data.length < head.length) {
      // A short read: ask for the rest before anything already in flight is delivered.
      const offset = head.offset + data.length;
      const length = head.length - data.length;
      this.queue.unshift({ offset, length, result: quiet(readAt(sftp, handle, offset, length)) });
    }
    this.position += data.length;
    return data;
  }

  private fill(sftp: SFTPWrapper, handle: Buffer): void {
    const { size } = this.options;
    const { chunkBytes, readsInFlight } = this;
    while (this.queue.length < readsInFlight && this.requested < size) {
      const length = Math.min(chunkBytes, size - this.requested);
      this.queue.push({ offset: this.requested, length, result: quiet(readAt(sftp, handle, this.requested, length)) });
      this.requested += length;
    }
  }

  private async open(): Promise<{ sftp: SFTPWrapper; handle: Buffer }> {
    if (this.lease && this.handle) return { sftp: this.lease.sftp, handle: this.handle };
    this.lease = await this.pool.acquire();
    const sftp = this.lease.sftp;
    let handle: Buffer;
    try {
      handle = await this.withTimeout(openForRead(sftp, this.options.remotePath));
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code === 2) {
        throw new Permanent(new OctoError('source', `${this.options.displayPath} is gone from the server (it was moved or deleted after the listing)`, { cause: error }));
      }
      if (code === 3) {
        throw new Permanent(new OctoError('source', `${this.options.displayPath}: permission denied on the server`, { cause: error }));
      }
      throw error;
    }
    this.handle = handle;
    this.requested = this.position;
    return { sftp, handle };
  }

  /** Forgets in-flight reads and the handle; `broken` also closes the connection. */
  private dropConnection(broken: boolean): void {
    const { lease, handle } = this;
    this.queue = [];
    this.lease = undefined;
    this.handle = undefined;
    this.requested = this.position;
    if (!lease) return;
    if (broken) {
      lease.invalidate();
      return;
    }
    if (handle) {
      try {
        lease.sftp.close(handle, () => undefined);
      } catch {
        // The connection went away; the handle went with it.
      }
    }
    lease.release();
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.readTimeoutMs;
    return withTimeout(promise, ms, `no answer from the SFTP server for ${ms} ms`);
  }
}

function readAt(sftp: SFTPWrapper, handle: Buffer, offset: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buffer = Buffer.allocUnsafe(length);
    try {
      sftp.read(handle, buffer, 0, length, offset, (error, bytesRead) => {
        if (error) reject(error);
        else resolve(bytesRead === length ? buffer : buffer.subarray(0, bytesRead));
      });
    } catch (error) {
      reject(error);
    }
  });
}

/** Keeps a read that nobody will await (it was in flight when the connection dropped) from being an unhandled rejection. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
