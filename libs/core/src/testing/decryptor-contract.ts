import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptionSchema, type DecryptionConfig } from '../config/config-schema.js';
import { OctoError } from '../errors/octo-error.js';
import type { Logger } from '../ports/logger.js';
import type { Decryptor } from '../ports/decryptor.js';
import type { FileContext } from '../ports/file-context.js';
import { SecretResolver } from '../secrets/secret-ref.js';
import { octoFailure as failure } from './expect-failure.js';
import { encryptBytes, generateTestKey, keyWithUnknownCurve, testKeyIds } from './pgp-fixtures.js';

/** How a contract run builds one engine: from a provider's decryption config and its secrets. */
export interface DecryptorHarness {
  create(decryption: Partial<DecryptionConfig>, deps: { secrets: SecretResolver; logger: Logger }): Decryptor;
  /** Releases what `create` made (a GnuPG home). */
  dispose?(decryptor: Decryptor): Promise<void>;
}

/** A logger that keeps what it is given, to count the warnings. */
export function recordingLogger(): Logger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, warn: (message) => void warnings.push(message), error: () => undefined };
}

const context = (file: string): FileContext => ({ provider: 'acme', jobId: 'job', file: { path: file, size: 0, mtimeMs: 0 } });

/** Decrypts all of `bytes` and waits for every check. */
export async function decryptAll(decryptor: Decryptor, bytes: Buffer, file: string): Promise<Buffer> {
  const result = await decryptor.decrypt(Readable.from([bytes]), context(file));
  const [out] = await Promise.all([buffer(result.stream), result.verified]);
  return out;
}

type Pair = { privateKey: string; publicKey: string };

/**
 * The cases every {@link Decryptor} engine must pass the same way (as rclone's fstests run every
 * backend): exact bytes for good messages, and one distinct message for each way a file or a
 * key can be wrong. Messages are made by openpgp.js here; the GnuPG interop matrix adds gpg's.
 */
export function decryptorContract(engine: string, harness: DecryptorHarness): void {
  describe(`${engine} (Decryptor contract)`, () => {
    let dir: string;
    let partner: Pair;
    let stranger: Pair;
    let locked: Pair;
    const made: Decryptor[] = [];
    const env: Record<string, string> = { OCTO_PASS: 'correct horse', OCTO_WRONG: 'wrong horse', OCTO_LOCKED_PASS: 'locked pass' };
    const plaintext = Buffer.from('id,amount\n1,10.00\n2,20.00\n'.repeat(5000));

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'octo-contract-'));
      [partner, stranger, locked] = await Promise.all([generateTestKey('partner'), generateTestKey('stranger'), generateTestKey('locked', { passphrase: 'locked pass' })]);
      Object.assign(env, { OCTO_KEY: partner.privateKey, OCTO_STRANGER_PUB: stranger.publicKey, OCTO_LOCKED_KEY: locked.privateKey });
      await writeFile(path.join(dir, 'pass-echo.txt'), 'correct horse\n');
      await writeFile(path.join(dir, 'pass-crlf.txt'), 'correct horse\r\n');
      await writeFile(path.join(dir, 'not-a-key.asc'), 'this is not a key\n');
      await writeFile(path.join(dir, 'unknown-curve.asc'), await keyWithUnknownCurve());
      await writeFile(path.join(dir, 'public.asc'), partner.publicKey);
    }, 60_000);

    afterAll(async () => {
      for (const decryptor of made) await harness.dispose?.(decryptor);
      await rm(dir, { recursive: true, force: true });
    });

    function decryptor(decryption: Partial<DecryptionConfig>, logger: Logger = recordingLogger()): Decryptor {
      const d = harness.create(decryptionSchema.parse(decryption), { secrets: new SecretResolver(dir, env), logger });
      made.push(d);
      return d;
    }

    it('should decrypt a binary passphrase-encrypted message to the exact bytes', async () => {
      const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
      expect((await decryptAll(decryptor({ passphrase: 'env:OCTO_PASS' }), encrypted, 'x.csv.gpg')).equals(plaintext)).toBe(true);
    });

    it.each(['pass-echo.txt', 'pass-crlf.txt'])('should read the passphrase from %s as its first line, like gpg --passphrase-file', async (file) => {
      const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
      expect((await decryptAll(decryptor({ passphrase: `file:${file}` }), encrypted, 'x.csv.gpg')).equals(plaintext)).toBe(true);
    });

    it('should decrypt an armored public-key message when a passphrase is configured too', async () => {
      const encrypted = await encryptBytes(plaintext, { publicKey: partner.publicKey }, { armored: true });
      const d = decryptor({ passphrase: 'env:OCTO_PASS', privateKeys: [{ key: 'env:OCTO_KEY' }] });
      expect((await decryptAll(d, encrypted, 'x.csv.asc')).equals(plaintext)).toBe(true);
    });

    it('when encrypted to another key, should name the key it needs and the keys we have', async () => {
      const encrypted = await encryptBytes(plaintext, { publicKey: stranger.publicKey });
      const [needed, ours] = await Promise.all([testKeyIds(stranger.publicKey), testKeyIds(partner.publicKey)]);
      const error = await failure(decryptAll(decryptor({ privateKeys: [{ key: 'env:OCTO_KEY' }] }), encrypted, 'wrong.csv.gpg'));
      expect(error.kind).toBe('decrypt');
      expect(error.message).toBe(
        `wrong.csv.gpg is encrypted to key ${needed.subkeys[0]}, but provider acme has ${ours.primary} (subkey ${ours.subkeys[0]}): ` +
          'add the private key it is encrypted to to decryption.privateKeys, or ask the partner to encrypt to one of ours',
      );
    });

    it('when the passphrase is wrong, should say so and not blame the file', async () => {
      const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
      const error = await failure(decryptAll(decryptor({ passphrase: 'env:OCTO_WRONG' }), encrypted, 'p.csv.gpg'));
      expect(error.kind).toBe('decrypt');
      expect(error.message).toBe(
        'p.csv.gpg is encrypted with a passphrase, and decryption.passphrase (env:OCTO_WRONG) of provider acme is not the one it was encrypted with: check that secret, or ask the partner which passphrase they used',
      );
    });

    it('when a passphrase message meets a provider with keys only, should say the passphrase is missing', async () => {
      const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
      const error = await failure(decryptAll(decryptor({ privateKeys: [{ key: 'env:OCTO_KEY' }] }), encrypted, 'p.csv.gpg'));
      expect(error.message).toBe('p.csv.gpg is encrypted with a passphrase, but provider acme has no usable decryption.passphrase: set decryption.passphrase to a secret reference that holds it');
    });

    it('when the ciphertext was altered, should fail the integrity check instead of passing bad bytes as good', async () => {
      const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
      const tampered = Buffer.from(encrypted);
      const middle = Math.floor(tampered.length / 2);
      tampered[middle] = (tampered[middle] ?? 0) ^ 0xff;
      const error = await failure(decryptAll(decryptor({ passphrase: 'env:OCTO_PASS' }), tampered, 't.csv.gpg'));
      expect(error.kind).toBe('decrypt');
      expect(error.message).toBe(
        't.csv.gpg failed its integrity check: the file was altered or damaged after it was encrypted; ask the partner to send it again',
      );
    });

    it.each([
      ['binary', false],
      ['armored', true],
    ])('when a %s message is cut short, should say it is truncated', async (_label, armored) => {
      const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' }, { armored });
      const cut = encrypted.subarray(0, Math.floor(encrypted.length * 0.6));
      const error = await failure(decryptAll(decryptor({ passphrase: 'env:OCTO_PASS' }), cut, 'cut.csv.gpg'));
      expect(error.kind).toBe('decrypt');
      expect(error.message).toBe(
        'cut.csv.gpg ends before its OpenPGP message does: the file is truncated (cut in transit, or still being written when it was listed); ask the partner to send it again',
      );
    });

    it('when the source fails mid-file, should report the source error, not a decryption one', async () => {
      const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
      const input = new PassThrough();
      input.write(encrypted.subarray(0, 4096));
      const result = await decryptor({ passphrase: 'env:OCTO_PASS' }).decrypt(input, context('drop.csv.gpg'));
      result.stream.on('error', () => undefined).resume();
      input.destroy(new OctoError('source', 'drop.csv.gpg: the connection dropped after 4096 bytes'));
      const error = await failure(result.verified);
      expect([error.kind, error.message]).toEqual(['source', 'drop.csv.gpg: the connection dropped after 4096 bytes']);
    });

    it('when the file is not OpenPGP data, should say so', async () => {
      const error = await failure(decryptAll(decryptor({ passphrase: 'env:OCTO_PASS' }), Buffer.from('plain text'), 'p.csv.gpg'));
      expect(error.message).toBe('p.csv.gpg is named as an OpenPGP message but starts with bytes 70 6c 61 69 6e 20 74 65: it is not encrypted data');
    });

    it('when the file is empty, should say it is empty', async () => {
      const error = await failure(decryptAll(decryptor({ passphrase: 'env:OCTO_PASS' }), Buffer.alloc(0), 'e.csv.gpg'));
      expect([error.kind, error.message]).toEqual(['decrypt', 'e.csv.gpg is named as an OpenPGP message but starts with nothing (the file is empty, 0 bytes): it is not encrypted data']);
    });

    describe('when some configured keys cannot be loaded', () => {
      const config = {
        privateKeys: [
          { key: 'file:not-a-key.asc' },
          { key: 'env:OCTO_LOCKED_KEY', passphrase: 'env:OCTO_WRONG' },
          { key: 'env:OCTO_KEY' },
        ],
      };

      it('should report each once with why, land files for the keys that loaded, and fail a file that needs a bad key naming it', async () => {
        const logger = recordingLogger();
        const d = decryptor(config, logger);
        const lockedIds = await testKeyIds(locked.publicKey);
        const ours = await testKeyIds(partner.publicKey);

        const good = await encryptBytes(plaintext, { publicKey: partner.publicKey });
        expect((await decryptAll(d, good, 'good.csv.gpg')).equals(plaintext)).toBe(true);

        const toLocked = await encryptBytes(plaintext, { publicKey: locked.publicKey });
        const lockedError = await failure(decryptAll(d, toLocked, 'locked.csv.gpg'));
        expect(lockedError.kind).toBe('decrypt');
        expect(lockedError.fatal).toBe(false);
        expect(lockedError.message).toBe(
          `locked.csv.gpg is encrypted to key ${lockedIds.subkeys[0]}, which is decryption.privateKeys[1] (env:OCTO_LOCKED_KEY) of provider acme, but that key could not be loaded: the passphrase env:OCTO_WRONG does not unlock it`,
        );

        const toStranger = await encryptBytes(plaintext, { publicKey: stranger.publicKey });
        const strangerError = await failure(decryptAll(d, toStranger, 'stranger.csv.gpg'));
        expect(strangerError.message).toContain(`but provider acme has ${ours.primary} (subkey ${ours.subkeys[0]}); decryption.privateKeys[0] (file:not-a-key.asc) could not be loaded: it is not an armored OpenPGP private key`);

        expect((await decryptAll(d, good, 'good-again.csv.gpg')).equals(plaintext)).toBe(true);
        expect(logger.warnings).toEqual([
          'decryption.privateKeys[0] (file:not-a-key.asc) of provider acme cannot be loaded: it is not an armored OpenPGP private key (one starts with -----BEGIN PGP PRIVATE KEY BLOCK-----; gpg --armor --export-secret-keys writes one); files encrypted to it will fail, the other keys are used',
          'decryption.privateKeys[1] (env:OCTO_LOCKED_KEY) of provider acme cannot be loaded: the passphrase env:OCTO_WRONG does not unlock it; files encrypted to it will fail, the other keys are used',
        ]);
      });

      it('should say why a public key, or a key of an unknown curve, cannot be used, and use the others', async () => {
        const logger = recordingLogger();
        const d = decryptor({ privateKeys: [{ key: 'file:public.asc' }, { key: 'file:unknown-curve.asc' }, { key: 'env:OCTO_KEY' }] }, logger);
        const good = await encryptBytes(plaintext, { publicKey: partner.publicKey });
        expect((await decryptAll(d, good, 'good.csv.gpg')).equals(plaintext)).toBe(true);
        expect(logger.warnings).toEqual([
          'decryption.privateKeys[0] (file:public.asc) of provider acme cannot be loaded: it is a public key, not a private key: export the private key (gpg --armor --export-secret-keys); files encrypted to it will fail, the other keys are used',
          'decryption.privateKeys[1] (file:unknown-curve.asc) of provider acme cannot be loaded: it has no key this engine can decrypt with: no encryption subkey, or only one of an algorithm or curve the engine does not support; files encrypted to it will fail, the other keys are used',
        ]);
      });

      it('should decrypt with a protected key whose passphrase is right', async () => {
        const d = decryptor({ privateKeys: [{ key: 'env:OCTO_LOCKED_KEY', passphrase: 'env:OCTO_LOCKED_PASS' }] });
        const encrypted = await encryptBytes(plaintext, { publicKey: locked.publicKey });
        expect((await decryptAll(d, encrypted, 'l.csv.gpg')).equals(plaintext)).toBe(true);
      });

      it('when no key and no passphrase can be used, should fail the job once as a config error listing why', async () => {
        const d = decryptor({ passphrase: 'env:OCTO_UNSET', privateKeys: [{ key: 'file:not-a-key.asc' }, { key: 'env:OCTO_LOCKED_KEY' }] });
        const encrypted = await encryptBytes(plaintext, { publicKey: partner.publicKey });
        const error = await failure(decryptAll(d, encrypted, 'x.csv.gpg'));
        expect(error.kind).toBe('config');
        expect(error.fatal).toBe(true);
        expect(error.message).toBe(
          'provider acme has no decryption key or passphrase that can be used: ' +
            'decryption.privateKeys[0] (file:not-a-key.asc): it is not an armored OpenPGP private key (one starts with -----BEGIN PGP PRIVATE KEY BLOCK-----; gpg --armor --export-secret-keys writes one); ' +
            'decryption.privateKeys[1] (env:OCTO_LOCKED_KEY): it is protected by a passphrase: set decryption.privateKeys[1].passphrase to a secret reference; ' +
            'decryption.passphrase (env:OCTO_UNSET): secret env:OCTO_UNSET is not set: export OCTO_UNSET in the environment that runs octo',
        );
      });

      it('should load its keys when the job starts: prepare() warns about a key it cannot use before any file, and fails at once when none can be used', async () => {
        const logger = recordingLogger();
        const d = decryptor({ privateKeys: [{ key: 'file:not-a-key.asc' }, { key: 'env:OCTO_KEY' }] }, logger);
        expect(d.prepare, `${engine} has no prepare()`).toBeTypeOf('function');
        await d.prepare?.();
        expect(logger.warnings).toEqual([
          'decryption.privateKeys[0] (file:not-a-key.asc) of provider acme cannot be loaded: it is not an armored OpenPGP private key (one starts with -----BEGIN PGP PRIVATE KEY BLOCK-----; gpg --armor --export-secret-keys writes one); files encrypted to it will fail, the other keys are used',
        ]);
        const good = await encryptBytes(plaintext, { publicKey: partner.publicKey });
        expect((await decryptAll(d, good, 'good.csv.gpg')).equals(plaintext)).toBe(true);
        expect(logger.warnings).toHaveLength(1);

        const none = decryptor({ passphrase: 'env:OCTO_UNSET', privateKeys: [{ key: 'file:not-a-key.asc' }] });
        const error = await failure(none.prepare?.() ?? Promise.resolve());
        expect(error.kind).toBe('config');
        expect(error.fatal).toBe(true);
        expect(error.message).toMatch(/^provider acme has no decryption key or passphrase that can be used: decryption\.privateKeys\[0\] \(file:not-a-key\.asc\)/);
      });

      it('when only the passphrase cannot be resolved, should still decrypt with the keys and name the passphrase for passphrase files', async () => {
        const d = decryptor({ passphrase: 'env:OCTO_UNSET', privateKeys: [{ key: 'env:OCTO_KEY' }] });
        const toKey = await encryptBytes(plaintext, { publicKey: partner.publicKey });
        expect((await decryptAll(d, toKey, 'k.csv.gpg')).equals(plaintext)).toBe(true);
        const withPassphrase = await encryptBytes(plaintext, { passphrase: 'correct horse' });
        const error = await failure(decryptAll(d, withPassphrase, 'p.csv.gpg'));
        // The secret's fault, not the file's: a kind that does not count toward quarantine.
        expect(error.kind).toBe('secret');
        expect(error.message).toBe(
          'p.csv.gpg is encrypted with a passphrase, but provider acme has no usable decryption.passphrase (secret env:OCTO_UNSET is not set: export OCTO_UNSET in the environment that runs octo): set decryption.passphrase to a secret reference that holds it',
        );
      });
    });
  });
}
