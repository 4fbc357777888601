import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../ports/logger.js';
import type { SftpConnectionPool, SftpLease } from './sftp-connection-pool.js';
import { SFTP_READ_DEFAULTS, SftpReadStream } from './sftp-read-stream.js';

/** A pool whose one connection serves `file` after `connectMs`, counting leases given back. */
function fakePool(file: Buffer, connectMs: number) {
  const counts = { acquired: 0, released: 0, invalidated: 0, closedHandles: 0 };
  const sftp = {
    open: (_path: string, _flags: string, callback: (error: Error | undefined, handle: Buffer) => void) => setImmediate(() => callback(undefined, Buffer.from('h'))),
    read: (_handle: Buffer, buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | undefined, bytesRead: number) => void) =>
      setImmediate(() => callback(undefined, file.copy(buffer, offset, position, position + length))),
    close: (_handle: Buffer, callback: () => void) => {
      counts.closedHandles += 1;
      setImmediate(callback);
    },
  };
  const pool = {
    acquire: async (): Promise<SftpLease> => {
      await sleep(connectMs);
      counts.acquired += 1;
      return { sftp: sftp as never, release: () => (counts.released += 1), invalidate: () => (counts.invalidated += 1) };
    },
  };
  return { pool: pool as unknown as SftpConnectionPool, counts };
}

const options = { remotePath: '/f', displayPath: 'f', offset: 0, chunkBytes: 4, readsInFlight: 2, readTimeoutMs: 1_000, retries: 0, retryBaseDelayMs: 1, logger: silentLogger };

describe(SftpReadStream, () => {
  it('should deliver the listed bytes and give its lease back at the end', async () => {
    const file = Buffer.from('0123456789');
    const { pool, counts } = fakePool(file, 1);
    const stream = new SftpReadStream(pool, { ...options, size: file.length });
    expect(Buffer.concat(await stream.toArray())).toEqual(file);
    expect(counts).toEqual({ acquired: 1, released: 1, invalidated: 0, closedHandles: 1 });
  });

  it('should by default keep 32 reads of 128 KiB in flight (4 MiB per round trip)', async () => {
    const file = Buffer.alloc(10 * 1024 * 1024, 7);
    const lengths: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const { pool } = fakePool(file, 1);
    const lease = await pool.acquire();
    const read = lease.sftp.read.bind(lease.sftp);
    const counting = {
      ...lease,
      sftp: {
        ...lease.sftp,
        read: (handle: Buffer, buffer: Buffer, offset: number, length: number, position: number, callback: (error: Error | undefined, bytesRead: number) => void) => {
          lengths.push(length);
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          read(handle, buffer, offset, length, position, (error, bytes) => {
            inFlight -= 1;
            callback(error, bytes);
          });
        },
      },
    };
    const { chunkBytes: _chunk, readsInFlight: _reads, ...rest } = options;
    const stream = new SftpReadStream({ acquire: async () => counting } as never, { ...rest, size: file.length });
    expect(Buffer.concat(await stream.toArray()).equals(file)).toBe(true);
    expect(SFTP_READ_DEFAULTS).toEqual({ chunkBytes: 128 * 1024, readsInFlight: 32 });
    expect(Math.max(...lengths)).toBe(128 * 1024);
    // 80 full reads, then the 1-byte probe that checks the file ends at the listed size.
    expect(lengths.filter((length) => length === 128 * 1024)).toHaveLength(80);
    expect(lengths.at(-1)).toBe(1);
    expect(maxInFlight).toBe(32);
  });

  describe('when it is destroyed while the connection is still being made', () => {
    it('should give back the lease and the handle that arrive afterwards', async () => {
      const { pool, counts } = fakePool(Buffer.from('0123456789'), 20);
      const stream = new SftpReadStream(pool, { ...options, size: 10 });
      stream.resume();
      await sleep(5);
      stream.destroy();
      await sleep(60);
      expect(counts).toEqual({ acquired: 1, released: 1, invalidated: 0, closedHandles: 1 });
    });
  });
});
