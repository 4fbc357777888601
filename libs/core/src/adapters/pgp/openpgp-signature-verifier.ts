import { PassThrough, Readable } from 'node:stream';
import { inject, injectable } from 'inversify';
import * as openpgp from 'openpgp';
import { OctoError } from '../../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import type { Checked, FileContext, SignatureVerifier } from '../../ports/stages.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';

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

  private async check(data: Readable, signatureBytes: Buffer, verificationKeys: openpgp.Key[], context: FileContext): Promise<void> {
    try {
      const head = signatureBytes.subarray(0, 64).toString('latin1').trimStart();
      const signature = head.startsWith('-----BEGIN PGP SIGNATURE')
        ? await openpgp.readSignature({ armoredSignature: signatureBytes.toString('utf8') })
        : await openpgp.readSignature({ binarySignature: new Uint8Array(signatureBytes) });
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
    } catch (error) {
      data.resume();
      throw new OctoError(
        'signature',
        `${context.file.path}: detached signature ${context.file.signaturePath ?? `${context.file.path}.sig`} is not valid (${(error as Error).message}); the file was not ingested`,
        { cause: error },
      );
    }
  }

  private loadKeys(context: FileContext): Promise<openpgp.Key[]> {
    this.keys ??= (async () => {
      const refs = this.provider.config.decryption.verificationKeys;
      if (refs.length === 0) {
        throw new OctoError('config', `provider ${context.provider} checks signatures but has no decryption.verificationKeys`, { fatal: true });
      }
      const keys: openpgp.Key[] = [];
      for (const ref of refs) {
        const armored = await this.secrets.resolve(ref);
        try {
          keys.push(...(await openpgp.readKeys({ armoredKeys: armored })));
        } catch (error) {
          throw new OctoError('config', `verification key ${ref} of provider ${this.provider.name} is not an armored OpenPGP public key`, { cause: error, fatal: true });
        }
      }
      return keys;
    })();
    this.keys.catch(() => {
      this.keys = undefined;
    });
    return this.keys;
  }
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
