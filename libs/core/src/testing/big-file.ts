import { createCipheriv } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import * as openpgp from 'openpgp';

/**
 * A deterministic byte stream of `size` bytes: CSV-like rows mixed with an AES-CTR keystream,
 * so it compresses somewhat (like real data) and is produced fast, without holding it in memory.
 */
export function deterministicBytes(size: number, seed = 'octo'): Readable {
  const key = Buffer.alloc(32, seed);
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16, 0));
  const chunk = 1024 * 1024;
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(chunk, size - produced);
      const noise = cipher.update(Buffer.alloc(length));
      // Every other 64-byte block is readable text, the rest keystream.
      for (let offset = 0; offset < length; offset += 128) noise.write(`${produced + offset},2026-11-28,ACC-1,100.00,EUR,row\n`.padEnd(64, ' '), offset, 'latin1');
      produced += length;
      this.push(noise);
    },
  });
}

/** Writes `size` deterministic bytes gzipped and OpenPGP-encrypted with a passphrase, streaming. */
export async function writeEncryptedGzip(file: string, size: number, passphrase: string): Promise<void> {
  const gzip = createGzip({ level: 1 });
  const compressed = deterministicBytes(size).pipe(gzip);
  const message = await openpgp.createMessage({ binary: Readable.toWeb(compressed) as unknown as ReadableStream<Uint8Array> });
  const encrypted = (await openpgp.encrypt({ message, passwords: [passphrase], format: 'binary' })) as unknown as ReadableStream<Uint8Array>;
  await pipeline(Readable.fromWeb(encrypted as unknown as import('node:stream/web').ReadableStream<Uint8Array>), new Transform({ transform: (c, _e, cb) => cb(null, c) }), createWriteStream(file));
}
