import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptionSchema, type DecryptionConfig } from '../../config/config-schema.js';
import { octoFailure as failure } from '../../testing/expect-failure.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/stages.js';
import { SecretResolver } from '../../secrets/secret-ref.js';
import { encryptBytes, generateTestKey } from '../../testing/pgp-fixtures.js';
import { OpenPgpDecryptor } from './openpgp-decryptor.js';

let partner: { privateKey: string; publicKey: string };
let stranger: { privateKey: string; publicKey: string };

beforeAll(async () => {
  [partner, stranger] = await Promise.all([generateTestKey('partner'), generateTestKey('stranger')]);
});

function decryptor(decryption: Partial<DecryptionConfig>): OpenPgpDecryptor {
  const env = {
    OCTO_PASS: 'correct horse',
    OCTO_KEY: partner.privateKey,
  };
  const config = decryptionSchema.parse(decryption);
  const provider = { name: 'acme', config: { decryption: config } } as unknown as ProviderContext;
  return new OpenPgpDecryptor(provider, new SecretResolver('/', env));
}

const context = (path: string): FileContext => ({ provider: 'acme', jobId: 'job', file: { path, size: 0, mtimeMs: 0 } });

async function run(d: OpenPgpDecryptor, bytes: Buffer, ctx: FileContext): Promise<Buffer> {
  const result = await d.decrypt(Readable.from([bytes]), ctx);
  const [out] = await Promise.all([buffer(result.stream), result.verified]);
  return out;
}

const plaintext = Buffer.from('id,amount\n1,10.00\n2,20.00\n'.repeat(5000));

describe(OpenPgpDecryptor, () => {
  it('should decrypt a binary passphrase-encrypted message to the exact bytes', async () => {
    const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
    expect((await run(decryptor({ passphrase: 'env:OCTO_PASS' }), encrypted, context('x.csv.gpg'))).equals(plaintext)).toBe(true);
  });

  it('should decrypt an armored public-key message when a passphrase is configured too', async () => {
    const encrypted = await encryptBytes(plaintext, { publicKey: partner.publicKey }, { armored: true });
    const d = decryptor({ passphrase: 'env:OCTO_PASS', privateKeys: [{ key: 'env:OCTO_KEY' }] });
    expect((await run(d, encrypted, context('x.csv.asc'))).equals(plaintext)).toBe(true);
  });

  it('when encrypted to another key, should say which key it needs and what to check', async () => {
    const encrypted = await encryptBytes(plaintext, { publicKey: stranger.publicKey });
    const error = await failure(run(decryptor({ privateKeys: [{ key: 'env:OCTO_KEY' }] }), encrypted, context('wrong.csv.gpg')));
    expect(error.kind).toBe('decrypt');
    expect(error.message).toMatch(/^wrong\.csv\.gpg cannot be decrypted with the keys configured for provider acme \(it is encrypted to key [0-9A-F]{16}\): check decryption\.privateKeys/);
  });

  it('when the ciphertext was altered, should fail the integrity check instead of passing bad bytes as good', async () => {
    const encrypted = await encryptBytes(plaintext, { passphrase: 'correct horse' });
    const tampered = Buffer.from(encrypted);
    const middle = Math.floor(tampered.length / 2);
    tampered[middle] = (tampered[middle] ?? 0) ^ 0xff;
    const error = await failure(run(decryptor({ passphrase: 'env:OCTO_PASS' }), tampered, context('t.csv.gpg')));
    expect(error.kind).toBe('decrypt');
    expect(error.message).toContain('t.csv.gpg');
  });

  it('when the file is not OpenPGP data, should say so', async () => {
    const error = await failure(run(decryptor({ passphrase: 'env:OCTO_PASS' }), Buffer.from('plain text'), context('p.csv.gpg')));
    expect(error.message).toBe('p.csv.gpg is named as an OpenPGP message but starts with bytes 70 6c 61 69 6e 20 74 65: it is not encrypted data');
  });
});
