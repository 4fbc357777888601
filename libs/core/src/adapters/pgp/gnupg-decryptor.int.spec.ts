import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptionSchema } from '../../config/config-schema.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import { silentLogger } from '../../ports/logger.js';
import { SecretResolver } from '../../secrets/secret-ref.js';
import { octoFailure as failure } from '../../testing/expect-failure.js';
import { GnuPgTestHome } from '../../testing/gnupg-test-home.js';
import { encryptBytes } from '../../testing/pgp-fixtures.js';
import { decryptorContract } from '../../testing/decryptor-contract.js';
import { GnuPgDecryptor } from './gnupg-decryptor.js';

// The same cases as the openpgp.js engine, against real gpg on an ephemeral home.
decryptorContract('GnuPgDecryptor', {
  create: (decryption, { secrets, logger }) =>
    new GnuPgDecryptor({ name: 'acme', config: { decryption }, limits: { maxUnpackedBytes: 1024 ** 3 } } as unknown as ProviderContext, secrets, logger),
  dispose: (decryptor) => (decryptor as GnuPgDecryptor).close(),
});

describe('GnuPgDecryptor, its child process', () => {
  const PASS = 'never on a command line';
  let decryptor: GnuPgDecryptor;
  let message: Buffer;

  beforeAll(async () => {
    decryptor = new GnuPgDecryptor(
      { name: 'acme', config: { decryption: decryptionSchema.parse({ passphrase: 'env:P' }) }, limits: { maxUnpackedBytes: 1024 ** 3 } } as unknown as ProviderContext,
      new SecretResolver('/', { P: PASS }),
      silentLogger,
    );
    message = await encryptBytes(randomBytes(4 * 1024 * 1024), { passphrase: PASS });
  });

  afterAll(async () => {
    await decryptor.close();
  });

  /** The gpg processes decrypting on a GnuPG home of this process, with their command lines and environments. */
  async function ourGpgChildren(): Promise<{ pid: number; cmdline: string; environ: string }[]> {
    const found: { pid: number; cmdline: string; environ: string }[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ');
        if (!cmdline.includes('octo-gnupg-') || !cmdline.includes('--decrypt')) continue;
        const ppid = Number((await readFile(`/proc/${entry}/stat`, 'utf8')).split(') ')[1]?.split(' ')[1]);
        if (ppid !== process.pid) continue;
        found.push({ pid: Number(entry), cmdline, environ: (await readFile(`/proc/${entry}/environ`, 'utf8')).split('\0').join(' ') });
      } catch {
        // The process ended while we looked.
      }
    }
    return found;
  }

  async function untilChild(): Promise<{ pid: number; cmdline: string; environ: string }> {
    for (let i = 0; i < 100; i += 1) {
      const [child] = await ourGpgChildren();
      if (child) return child;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('no gpg child appeared');
  }

  it('should never pass the passphrase on the command line or in the environment', async () => {
    const input = new PassThrough();
    input.write(message.subarray(0, 1024));
    const result = await decryptor.decrypt(input, { provider: 'acme', jobId: 'j', file: { path: 'x.gpg', size: 0, mtimeMs: 0 } });
    result.stream.resume();
    const child = await untilChild();
    expect(child.cmdline).toContain('--command-fd 4');
    expect(child.cmdline).not.toContain(PASS);
    expect(child.environ).not.toContain(PASS);
    input.end(message.subarray(1024));
    await result.verified;
  });

  it('when the job is cancelled mid-file, should kill gpg and report the cancellation', async () => {
    const input = new PassThrough();
    input.write(message.subarray(0, 64 * 1024));
    const abort = new AbortController();
    const result = await decryptor.decrypt(input, { provider: 'acme', jobId: 'j', file: { path: 'c.gpg', size: 0, mtimeMs: 0 }, signal: abort.signal });
    result.stream.on('error', () => undefined).resume();
    const child = await untilChild();
    abort.abort();
    const error = await failure(result.verified);
    expect([error.kind, error.message]).toEqual(['cancelled', 'c.gpg: the job was cancelled']);
    expect((await ourGpgChildren()).map((c) => c.pid)).not.toContain(child.pid);
  });

  it("when OpenPGP's own compression expands past limits.maxUnpackedBytes, should stop gpg there and say which limit", async () => {
    const limited = new GnuPgDecryptor(
      { name: 'acme', config: { decryption: decryptionSchema.parse({ passphrase: 'env:P' }) }, limits: { maxUnpackedBytes: 1_000_000 } } as unknown as ProviderContext,
      new SecretResolver('/', { P: PASS }),
      silentLogger,
    );
    try {
      const home = await GnuPgTestHome.create();
      const bomb = await home.encrypt(['-c', '--compress-algo', 'ZLIB'], Buffer.alloc(20 * 1024 * 1024), PASS);
      await home.dispose();
      expect(bomb.length).toBeLessThan(100_000);
      const result = await limited.decrypt(Readable.from([bomb]), { provider: 'acme', jobId: 'j', file: { path: 'bomb.gpg', size: 0, mtimeMs: 0 } });
      let received = 0;
      result.stream.on('data', (chunk: Buffer) => (received += chunk.length)).on('error', () => undefined);
      const error = await failure(result.verified);
      expect([error.kind, error.message]).toEqual(['unsafe', 'bomb.gpg unpacks to more than 1000000 bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine']);
      expect(received).toBeLessThanOrEqual(1_000_000);
    } finally {
      await limited.close();
    }
  });

  it('when the reader gives up, should kill gpg', async () => {
    const input = new PassThrough();
    input.write(message.subarray(0, 64 * 1024));
    const result = await decryptor.decrypt(input, { provider: 'acme', jobId: 'j', file: { path: 'g.gpg', size: 0, mtimeMs: 0 } });
    const child = await untilChild();
    result.stream.destroy();
    await result.verified.catch(() => undefined);
    expect((await ourGpgChildren()).map((c) => c.pid)).not.toContain(child.pid);
  });
});
