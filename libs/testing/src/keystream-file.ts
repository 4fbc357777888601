import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes `size` pseudo-random bytes to `file` fast (AES-256-CTR keystream over zeros,
 * hundreds of MB/s) and returns their sha256. The same seed gives the same bytes.
 */
export async function writeKeystreamFile(file: string, size: number, seed = 'octo'): Promise<{ sha256: string; size: number }> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  const zeros = Buffer.alloc(1024 * 1024);
  let left = size;
  while (left > 0) {
    const n = Math.min(left, zeros.length);
    const chunk = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
    hash.update(chunk);
    left -= n;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { sha256: hash.digest('hex'), size };
}

/** Pseudo-random bytes in memory (small fixtures). */
export function keystreamBytes(size: number, seed = 'octo'): Buffer {
  const key = createHash('sha256').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}
