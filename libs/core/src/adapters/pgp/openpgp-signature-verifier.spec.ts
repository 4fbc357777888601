import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptionSchema, type DecryptionConfig } from '../../config/config-schema.js';
import { octoFailure as failure } from '../../testing/expect-failure.js';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/file-context.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import { recordingLogger } from '../../testing/decryptor-contract.js';
import { SecretResolver } from '../../secrets/secret-ref.js';
import { generateTestKey, signDetached, testKeyIds } from '../../testing/pgp-fixtures.js';
import { OpenPgpSignatureVerifier } from './openpgp-signature-verifier.js';

let signer: { privateKey: string; publicKey: string };
let stranger: { privateKey: string; publicKey: string };

beforeAll(async () => {
  [signer, stranger] = await Promise.all([generateTestKey('signer'), generateTestKey('stranger')]);
});

function verifier(decryption: Partial<DecryptionConfig>, logger: Logger = silentLogger): OpenPgpSignatureVerifier {
  const provider = { name: 'acme', config: { decryption: decryptionSchema.parse(decryption) } } as unknown as ProviderContext;
  return new OpenPgpSignatureVerifier(provider, new SecretResolver('/', { OCTO_SIGNER: signer.publicKey, OCTO_JUNK: 'not a key' }), logger);
}

const context = (path: string, signature?: Buffer): FileContext => ({
  provider: 'acme',
  jobId: 'job',
  file: { path, size: 0, mtimeMs: 0, ...(signature ? { signaturePath: `${path}.sig` } : {}) },
  signature,
});

async function run(v: OpenPgpSignatureVerifier, bytes: Buffer, ctx: FileContext): Promise<Buffer> {
  const checked = await v.verify(Readable.from([bytes]), ctx);
  const [out] = await Promise.all([buffer(checked.stream), checked.verified]);
  return out;
}

const data = Buffer.from('any bytes as delivered, encrypted or not\n'.repeat(20_000));
const required = { signature: 'required' as const, verificationKeys: ['env:OCTO_SIGNER'] };

describe(OpenPgpSignatureVerifier, () => {
  it('should pass every byte through when a good detached signature comes with the file', async () => {
    const sig = await signDetached(data, signer.privateKey);
    expect((await run(verifier(required), data, context('s.csv.gpg', sig))).equals(data)).toBe(true);
  });

  it('should accept an armored signature too', async () => {
    const sig = await signDetached(data, signer.privateKey, { armored: true });
    expect((await run(verifier(required), data, context('s.csv', sig))).equals(data)).toBe(true);
  });

  it('when required and missing, should refuse the file and say what to ask for', async () => {
    const error = await failure(run(verifier(required), data, context('s.csv.gpg')));
    expect(error.kind).toBe('signature');
    expect(error.message).toBe('s.csv.gpg has no detached signature (s.csv.gpg.sig) and provider acme requires one: ask the provider to send it');
  });

  it('when made by another key, should refuse the file', async () => {
    const sig = await signDetached(data, stranger.privateKey);
    const error = await failure(run(verifier(required), data, context('s.csv.gpg', sig)));
    const [theirs, ours] = await Promise.all([testKeyIds(stranger.publicKey), testKeyIds(signer.publicKey)]);
    expect(error.kind).toBe('signature');
    expect(error.message).toBe(
      `s.csv.gpg: detached signature s.csv.gpg.sig was made by key ${theirs.primary}, which is not one of the decryption.verificationKeys of provider acme (${ours.primary}): ` +
        "add the partner's signing key, or ask them to sign with one of these; the file was not ingested",
    );
  });

  it('when the data was changed after signing, should refuse the file', async () => {
    const sig = await signDetached(data, signer.privateKey);
    const changed = Buffer.from(data);
    changed[100] = 0x21;
    const error = await failure(run(verifier(required), changed, context('s.csv.gpg', sig)));
    expect(error.kind).toBe('signature');
    expect(error.message).toBe(
      's.csv.gpg: detached signature s.csv.gpg.sig does not match the bytes delivered: the file was changed after it was signed, or the signature belongs to another file; ask the partner to send both again; the file was not ingested',
    );
  });

  it('when one verification key cannot be read, should report it once and verify with the others', async () => {
    const logger = recordingLogger();
    const v = verifier({ signature: 'required', verificationKeys: ['env:OCTO_JUNK', 'env:OCTO_SIGNER'] }, logger);
    for (const name of ['a.csv', 'b.csv']) {
      const sig = await signDetached(data, signer.privateKey);
      expect((await run(v, data, context(name, sig))).equals(data)).toBe(true);
    }
    expect(logger.warnings).toEqual([
      'decryption.verificationKeys[0] (env:OCTO_JUNK) of provider acme cannot be loaded: it is not an armored OpenPGP public key (one starts with -----BEGIN PGP PUBLIC KEY BLOCK-----; gpg --armor --export writes one); signatures by it will fail, the other keys are used',
    ]);
  });

  it('when no verification key can be read, should fail the job once as a config error naming each', async () => {
    const sig = await signDetached(data, signer.privateKey);
    const error = await failure(run(verifier({ signature: 'required', verificationKeys: ['env:OCTO_JUNK', 'env:OCTO_UNSET'] }), data, context('s.csv', sig)));
    expect([error.kind, error.fatal]).toEqual(['config', true]);
    expect(error.message).toBe(
      'provider acme checks signatures but none of its decryption.verificationKeys can be used: ' +
        'decryption.verificationKeys[0] (env:OCTO_JUNK): it is not an armored OpenPGP public key (one starts with -----BEGIN PGP PUBLIC KEY BLOCK-----; gpg --armor --export writes one); ' +
        'decryption.verificationKeys[1] (env:OCTO_UNSET): secret env:OCTO_UNSET is not set: export OCTO_UNSET in the environment that runs octo',
    );
  });

  it('when the policy is if-present and there is no signature, should pass the bytes through unchecked', async () => {
    expect((await run(verifier({ signature: 'if-present' }), data, context('s.csv'))).equals(data)).toBe(true);
  });

  it('when signatures are checked but no verification key is configured, should fail the job with a config error', async () => {
    const sig = await signDetached(data, signer.privateKey);
    const error = await failure(run(verifier({ signature: 'required' }), data, context('s.csv', sig)));
    expect(error.kind).toBe('config');
    expect(error.fatal).toBe(true);
    expect(error.message).toBe('provider acme checks signatures but has no decryption.verificationKeys');
  });
});
