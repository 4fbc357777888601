import { createDecipheriv } from 'node:crypto';

/** Node's name and block size for the OpenPGP ciphers OpenSSL has by default. */
const CIPHERS: Record<string, { name: string; blockSize: number }> = {
  aes128: { name: 'aes-128-cfb', blockSize: 16 },
  aes192: { name: 'aes-192-cfb', blockSize: 16 },
  aes256: { name: 'aes-256-cfb', blockSize: 16 },
  tripledes: { name: 'des-ede3-cfb', blockSize: 8 },
};

/**
 * OpenPGP's CFB "quick check" (RFC 4880 5.13): the encrypted data starts with a random block
 * whose last two bytes are repeated, so a wrong passphrase shows in its first bytes instead of
 * as a failed integrity check at the end. GnuPG uses it to say "bad passphrase"; openpgp.js
 * does not, so Octo does. `head` is the start of the encrypted data (after the version byte).
 * Returns undefined when it cannot tell (a cipher OpenSSL does not carry, or too few bytes).
 */
export function cfbQuickCheck(algorithm: string, key: Uint8Array, head: Uint8Array): boolean | undefined {
  const cipher = CIPHERS[algorithm];
  if (!cipher || head.length < cipher.blockSize + 2) return undefined;
  const decipher = createDecipheriv(cipher.name, key, Buffer.alloc(cipher.blockSize));
  const prefix = decipher.update(head.subarray(0, cipher.blockSize + 2));
  const n = cipher.blockSize;
  return prefix[n - 2] === prefix[n] && prefix[n - 1] === prefix[n + 1];
}
