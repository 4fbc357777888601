import { PassThrough, Readable } from 'node:stream';
import { inject, injectable, optional } from 'inversify';
import * as openpgp from 'openpgp';
import { OctoError } from '../../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type { FileContext } from '../../ports/file-context.js';
import type { Checked, SignatureVerifier } from '../../ports/signature-verifier.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import type { FileProvenance } from '../../ports/file-provenance.js';

type WebBytes = ReadableStream<Uint8Array>;

/**
 * Checks a file's detached OpenPGP signature (`<file>.sig`) over the bytes as delivered, in the
 * same pass as the rest of the chain, per the provider's `decryption.signature` policy:
 * `required` refuses a file without a good signature, `if-present` checks one when the drop
 * has it, `ignore` never looks.
 */
@injectable()
export class OpenPgpSignatureVerifier implements SignatureVerifier {
  private keys?: Promise<openpgp.Key[]>;

  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.SecretResolver) private readonly secrets: SecretResolver,
    @inject(TYPES.Logger) @optional() private readonly logger: Logger = silentLogger,
  ) {}

  async verify(input: Readable, context: FileContext): Promise<Checked> {
    const policy = this.provider.config.decryption.signature;
    if (policy === 'ignore' || (policy === 'if-present' && !context.signature)) {
      return { stream: input, verified: Promise.resolve() };
    }
    if (!context.signature) {
      input.destroy();
      throw new OctoError(
        'signature',
        `${context.file.path} has no detached signature (${context.file.path}.sig) and provider ${context.provider} requires one: ask the provider to send it`,
      );
    }
    const keys = await this.loadKeys(context);
    const [forward, forVerify] = tee(input);
    // The reader may have finished with `forward` (and dropped its listeners) by the time a bad
    // signature is known; `verified` reports the failure, so the error event must not crash the process.
    forward.on('error', () => undefined);
    const verified = this.check(forVerify, context.signature, keys, context);
    // Handled at once (it may fail before anyone awaits it), and it fails the data stream too.
    verified.catch((error: Error) => {
      if (!forward.destroyed) forward.destroy(error);
    });
    return { stream: forward, verified };
  }

  private async check(data: Readable, signatureBytes: Buffer, verificationKeys: openpgp.Key[], context: FileContext): Promise<FileProvenance> {
    const sigPath = context.file.signaturePath ?? `${context.file.path}.sig`;
    let signedBy: Signer;
    const fail = (why: string, cause?: unknown) => {
      data.resume();
      return new OctoError('signature', `${context.file.path}: detached signature ${sigPath} ${why}; the file was not ingested`, { cause });
    };
    let signature: openpgp.Signature;
    try {
      const head = signatureBytes.subarray(0, 64).toString('latin1').trimStart();
      signature = head.startsWith('-----BEGIN PGP SIGNATURE')
        ? await openpgp.readSignature({ armoredSignature: signatureBytes.toString('utf8') })
        : await openpgp.readSignature({ binarySignature: new Uint8Array(signatureBytes) });
    } catch (error) {
      throw fail(`is not a readable OpenPGP signature (${(error as Error).message}): ask the partner to send it again`, error);
    }
    // Which key made it, before any bytes are hashed: a signature by a key we do not trust is its own failure.
    const ours = new Set(verificationKeys.flatMap((key) => key.getKeyIDs().map((id) => id.toHex().toUpperCase())));
    const signers = signature.getSigningKeyIDs().map((id) => id.toHex().toUpperCase());
    if (signers.length > 0 && !signers.some((id) => ours.has(id))) {
      const have = verificationKeys.map((key) => key.getKeyID().toHex().toUpperCase()).join(', ');
      throw fail(
        `was made by key ${signers.join(', ')}, which is not one of the decryption.verificationKeys of provider ${context.provider} (${have}): add the partner's signing key, or ask them to sign with one of these`,
      );
    }
    try {
      const message = await openpgp.createMessage({ binary: Readable.toWeb(data) as unknown as WebBytes });
      const verification = await openpgp.verify({ message, signature, verificationKeys, format: 'binary' });
      const reader = (verification.data as unknown as WebBytes).getReader();
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
      }
      const first = verification.signatures[0];
      if (!first) throw new Error('the signature file holds no signature');
      await first.verified;
      signedBy = await signerOf(first, verificationKeys);
    } catch (error) {
      const detail = (error as Error).message;
      if (/signed digest did not match|invalid signature|verification failed/i.test(detail)) {
        throw fail('does not match the bytes delivered: the file was changed after it was signed, or the signature belongs to another file; ask the partner to send both again', error);
      }
      throw fail(`is not valid (${detail})`, error);
    }
    const allowed = this.provider.config.decryption.allowedSigners;
    if (allowed.length > 0 && !signedBy.fingerprints.some((fingerprint) => allowed.includes(fingerprint))) {
      throw fail(
        `is a valid signature by key ${signedBy.fingerprint}, which is not in decryption.allowedSigners of provider ${context.provider} (${allowed.join(', ')}): ` +
          'if the partner really signs with this key now, confirm its fingerprint with them and add it',
      );
    }
    return { signedBy: { keyId: signedBy.keyId, fingerprint: signedBy.fingerprint, signedAt: signedBy.signedAt } };
  }

  private loadKeys(context: FileContext): Promise<openpgp.Key[]> {
    this.keys ??= (async () => {
      const refs = this.provider.config.decryption.verificationKeys;
      if (refs.length === 0) {
        throw new OctoError('config', `provider ${context.provider} checks signatures but has no decryption.verificationKeys`, { fatal: true });
      }
      // Each key on its own: one that cannot be read is reported once and the others are used.
      const keys: openpgp.Key[] = [];
      const problems: string[] = [];
      for (const [index, ref] of refs.entries()) {
        let why: string;
        try {
          keys.push(...(await openpgp.readKeys({ armoredKeys: await this.secrets.resolve(ref) })));
          continue;
        } catch (error) {
          why = OctoError.is(error) ? error.message : 'it is not an armored OpenPGP public key (one starts with -----BEGIN PGP PUBLIC KEY BLOCK-----; gpg --armor --export writes one)';
        }
        const problem = `decryption.verificationKeys[${index}] (${ref}): ${why}`;
        problems.push(problem);
        this.logger.warn(`${problem.replace(/\): /, `) of provider ${this.provider.name} cannot be loaded: `)}; signatures by it will fail, the other keys are used`, { provider: this.provider.name, key: ref });
      }
      if (keys.length === 0) {
        throw new OctoError('config', `provider ${this.provider.name} checks signatures but none of its decryption.verificationKeys can be used: ${problems.join('; ')}`, { fatal: true });
      }
      return keys;
    })();
    this.keys.catch(() => {
      this.keys = undefined;
    });
    return this.keys;
  }
}

/** Who made a verified signature: the issuing (sub)key id, its primary fingerprint (and the subkey's), the time it states. */
interface Signer {
  readonly keyId: string;
  readonly fingerprint: string;
  readonly fingerprints: readonly string[];
  readonly signedAt: string;
}

async function signerOf(verified: openpgp.VerifyMessageResult["signatures"][number], keys: readonly openpgp.Key[]): Promise<Signer> {
  const keyId = verified.keyID.toHex().toUpperCase();
  const key = keys.find((candidate) => candidate.getKeyIDs().some((id) => id.equals(verified.keyID)));
  const subkey = key?.getSubkeys().find((candidate) => candidate.getKeyID().equals(verified.keyID));
  const fingerprint = key?.getFingerprint().toUpperCase() ?? keyId;
  const packet = (await verified.signature).packets[0] as unknown as { created?: Date | null } | undefined;
  return {
    keyId,
    fingerprint,
    fingerprints: [fingerprint, ...(subkey ? [subkey.getFingerprint().toUpperCase()] : [])],
    signedAt: packet?.created ? packet.created.toISOString() : '',
  };
}

/** Splits a stream in two that both see every byte; the slower reader sets the pace. */
function tee(input: Readable): [PassThrough, PassThrough] {
  const a = new PassThrough();
  const b = new PassThrough();
  input.on('data', (chunk: Buffer) => {
    const okA = a.write(chunk);
    const okB = b.write(chunk);
    if (okA && okB) return;
    input.pause();
    let waiting = (okA ? 0 : 1) + (okB ? 0 : 1);
    const resume = () => {
      waiting -= 1;
      if (waiting === 0) input.resume();
    };
    if (!okA) a.once('drain', resume);
    if (!okB) b.once('drain', resume);
  });
  input.on('end', () => {
    a.end();
    b.end();
  });
  input.on('error', (error) => {
    a.destroy(error);
    b.destroy(error);
  });
  return [a, b];
}
