import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptionSchema } from '../../config/config-schema.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { Logger } from '../../ports/logger.js';
import { SecretResolver } from '../../secrets/secret-ref.js';
import { encryptBytes } from '../../testing/pgp-fixtures.js';
import { AUTO_GNUPG_MIN_BYTES, AutoDecryptor } from './auto-decryptor.js';
import { decryptorContract } from '../../testing/decryptor-contract.js';

// The default engine keeps every guarantee of the contract, whichever engine a file goes to.
decryptorContract('AutoDecryptor', {
  create: (decryption, { secrets, logger }) =>
    new AutoDecryptor({ name: 'acme', config: { decryption }, limits: { maxUnpackedBytes: 1024 ** 3 } } as unknown as ProviderContext, secrets, logger),
  dispose: (decryptor) => (decryptor as AutoDecryptor).close(),
});

describe('AutoDecryptor, the engine per file', () => {
  const PASS = 'auto pass';
  const plaintext = randomBytes(300_000);
  let message: Buffer;
  const warnings: string[] = [];
  const logger = { debug: () => undefined, info: () => undefined, warn: (message: string) => warnings.push(message), error: () => undefined } as unknown as Logger;

  const create = () =>
    new AutoDecryptor(
      { name: 'acme', config: { decryption: decryptionSchema.parse({ passphrase: 'env:P' }) }, limits: { maxUnpackedBytes: 1024 ** 3 } } as unknown as ProviderContext,
      new SecretResolver('/', { P: PASS }),
      logger,
    );

  /** The GnuPG homes of this process: a gpg engine in use has one. */
  async function ourGnuPgHomes(): Promise<string[]> {
    const homes: string[] = [];
    for (const name of (await readdir(tmpdir())).filter((entry) => entry.startsWith('octo-gnupg-'))) {
      const owner = await readFile(path.join(tmpdir(), name, 'octo-owner'), 'utf8').catch(() => '{}');
      if ((JSON.parse(owner) as { pid?: number }).pid === process.pid) homes.push(name);
    }
    return homes;
  }

  async function decryptAll(decryptor: AutoDecryptor, size: number): Promise<Buffer> {
    const result = await decryptor.decrypt(Readable.from([message]), { provider: 'acme', jobId: 'j', file: { path: 'f.csv.gpg', size, mtimeMs: 0 } });
    const out = Buffer.concat(await result.stream.toArray());
    await result.verified;
    return out;
  }

  beforeAll(async () => {
    message = await encryptBytes(plaintext, { passphrase: PASS });
  });

  afterAll(() => {
    warnings.length = 0;
  });

  it('should decrypt a file below 2 MiB in process and a file from 2 MiB with gpg, the same bytes either way', async () => {
    const decryptor = create();
    const before = await ourGnuPgHomes();
    expect((await decryptAll(decryptor, AUTO_GNUPG_MIN_BYTES - 1)).equals(plaintext)).toBe(true);
    expect(await ourGnuPgHomes()).toEqual(before);
    expect((await decryptAll(decryptor, AUTO_GNUPG_MIN_BYTES)).equals(plaintext)).toBe(true);
    expect((await ourGnuPgHomes()).length).toBe(before.length + 1);
    await decryptor.close();
    expect(await ourGnuPgHomes()).toEqual(before);
    expect(warnings).toEqual([]);
  });

  it('should warn about a key it cannot use once, when the job starts, though files then go to both engines', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-auto-keys-'));
    await writeFile(path.join(dir, 'not-a-key.asc'), 'not a key\n');
    const seen: string[] = [];
    const recording = { debug: () => undefined, info: () => undefined, warn: (text: string) => seen.push(text), error: () => undefined } as unknown as Logger;
    const decryptor = new AutoDecryptor(
      { name: 'acme', config: { decryption: decryptionSchema.parse({ passphrase: 'env:P', privateKeys: [{ key: 'file:not-a-key.asc' }] }) }, limits: { maxUnpackedBytes: 1024 ** 3 } } as unknown as ProviderContext,
      new SecretResolver(dir, { P: PASS }),
      recording,
    );
    try {
      await decryptor.prepare();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/^decryption\.privateKeys\[0\] \(file:not-a-key\.asc\) of provider acme cannot be loaded: /);
      expect((await decryptAll(decryptor, AUTO_GNUPG_MIN_BYTES - 1)).equals(plaintext)).toBe(true);
      expect((await decryptAll(decryptor, AUTO_GNUPG_MIN_BYTES)).equals(plaintext)).toBe(true);
    } finally {
      await decryptor.close();
      await rm(dir, { recursive: true, force: true });
    }
    expect(seen).toHaveLength(1);
  });

  it('where gpg cannot be run, should decrypt every file with openpgp.js and say so once, naming the setting', async () => {
    const emptyPath = await mkdtemp(path.join(tmpdir(), 'octo-no-gpg-'));
    const savedPath = process.env['PATH'];
    process.env['PATH'] = emptyPath;
    const decryptor = create();
    try {
      expect((await decryptAll(decryptor, AUTO_GNUPG_MIN_BYTES * 4)).equals(plaintext)).toBe(true);
      expect((await decryptAll(decryptor, AUTO_GNUPG_MIN_BYTES * 8)).equals(plaintext)).toBe(true);
    } finally {
      process.env['PATH'] = savedPath;
      await decryptor.close();
      await rm(emptyPath, { recursive: true, force: true });
    }
    expect(warnings).toEqual([
      'provider acme: gpg cannot be run, so openpgp.js decrypts every file (slower on large files); install GnuPG 2.2 or later (the gnupg package), or set decryption.engine: openpgp to keep it and silence this',
    ]);
  });
});
