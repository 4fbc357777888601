import { PassThrough, Readable } from 'node:stream';
import { inject, injectable } from 'inversify';
import * as openpgp from 'openpgp';
import { OctoError } from '../../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import type { Decrypted, Decryptor, FileContext } from '../../ports/stages.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import { peek } from '../../streams/peek.js';
import { sniff, describeHead } from '../../pipeline/layers.js';

type WebBytes = ReadableStream<Uint8Array>;

/**
 * OpenPGP decryption with openpgp.js, streaming: plaintext flows out as it is decrypted
 * (`allowUnauthenticatedStream`), and the integrity check at the end of the message errors
 * the stream, so the pipeline's commit, which waits for the end, is what waits for the check.
 * Passphrase- and public-key-encrypted messages, armored or binary. Detached signatures are
 * a separate stage ({@link OpenPgpSignatureVerifier}).
 */
@injectable()
export class OpenPgpDecryptor implements Decryptor {
  private keys?: Promise<{ decryptionKeys: openpgp.PrivateKey[]; passwords: string[] }>;

  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.SecretResolver) private readonly secrets: SecretResolver,
  ) {}

  async decrypt(input: Readable, context: FileContext): Promise<Decrypted> {
    const { decryptionKeys, passwords } = await this.loadKeys();
    if (decryptionKeys.length === 0 && passwords.length === 0) {
      throw new OctoError('config', `${context.file.path} is encrypted but provider ${context.provider} has no decryption.passphrase or decryption.privateKeys`, {
        fatal: true,
      });
    }
    const { head, stream } = await peek(input, 64);
    const kind = sniff(head);
    if (kind !== 'pgp-armored' && kind !== 'pgp-binary') {
      stream.destroy();
      throw new OctoError('decrypt', `${context.file.path} is named as an OpenPGP message but starts with ${describeHead(head)}: it is not encrypted data`);
    }

    let message: openpgp.Message<WebBytes> | openpgp.Message<ReadableStream<string>>;
    try {
      const web = Readable.toWeb(stream) as unknown as WebBytes;
      message =
        kind === 'pgp-armored'
          ? await openpgp.readMessage({ armoredMessage: web.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>) })
          : await openpgp.readMessage({ binaryMessage: web });
    } catch (error) {
      throw new OctoError('decrypt', `${context.file.path} is not a readable OpenPGP message: ${(error as Error).message}`, { cause: error });
    }

    // openpgp.js fails when given passwords for a message that has only public-key session
    // keys (and the reverse), so offer what the message was encrypted for.
    const toKeys = (message as openpgp.Message<WebBytes>).getEncryptionKeyIDs().length > 0;
    const useKeys = toKeys && decryptionKeys.length > 0;
    let result: { data: WebBytes };
    try {
      result = (await openpgp.decrypt({
        message: message as openpgp.Message<WebBytes>,
        ...(useKeys ? { decryptionKeys } : passwords.length ? { passwords } : { decryptionKeys }),
        format: 'binary',
        config: { allowUnauthenticatedStream: true, maxDecompressedMessageSize: context.budget?.backstopBytes ?? Infinity },
      })) as unknown as { data: WebBytes };
    } catch (error) {
      throw this.explain(error, message as openpgp.Message<WebBytes>, context);
    }
    const plaintext = Readable.fromWeb(result.data as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
    const out = new PassThrough();
    plaintext.on('error', (error) => out.destroy(this.explain(error, undefined, context)));
    plaintext.pipe(out);
    const ended = new Promise<void>((resolve, reject) => {
      out.on('end', resolve);
      out.on('error', reject);
      out.on('close', () => { if (!out.readableEnded) reject(new OctoError('decrypt', `${context.file.path}: decryption stopped before the end of the message`)); });
    });
    ended.catch(() => undefined);
    return { stream: out, verified: ended };
  }

  private explain(error: unknown, message: openpgp.Message<WebBytes> | undefined, context: FileContext): OctoError {
    if (OctoError.is(error)) return error;
    const detail = error instanceof Error ? error.message : String(error);
    if (/session key/i.test(detail) || /no decryption key/i.test(detail) || /incorrect key passphrase|password/i.test(detail)) {
      const ids = message?.getEncryptionKeyIDs().map((id) => id.toHex().toUpperCase()) ?? [];
      const to = ids.length ? `it is encrypted to key ${ids.join(', ')}` : 'it is encrypted with a passphrase';
      return new OctoError(
        'decrypt',
        `${context.file.path} cannot be decrypted with the keys configured for provider ${context.provider} (${to}): check decryption.privateKeys and decryption.passphrase`,
        { cause: error },
      );
    }
    if (/modification detected|mdc|authentication|tag/i.test(detail)) {
      return new OctoError('decrypt', `${context.file.path} failed its integrity check (${detail}): the file was altered or truncated in transit`, { cause: error });
    }
    return new OctoError('decrypt', `${context.file.path} could not be decrypted: ${detail}`, { cause: error });
  }

  private loadKeys() {
    this.keys ??= (async () => {
      const config = this.provider.config.decryption;
      const passwords = config.passphrase ? [await this.secrets.resolve(config.passphrase)] : [];
      const decryptionKeys: openpgp.PrivateKey[] = [];
      for (const entry of config.privateKeys) {
        const armored = await this.secrets.resolve(entry.key);
        let key: openpgp.PrivateKey;
        try {
          key = await openpgp.readPrivateKey({ armoredKey: armored });
        } catch (error) {
          throw new OctoError('config', `decryption key ${entry.key} of provider ${this.provider.name} is not an armored OpenPGP private key`, { cause: error, fatal: true });
        }
        if (!key.isDecrypted()) {
          if (!entry.passphrase) {
            throw new OctoError('config', `decryption key ${entry.key} of provider ${this.provider.name} is protected: add its passphrase as a secret reference`, { fatal: true });
          }
          try {
            key = await openpgp.decryptKey({ privateKey: key, passphrase: await this.secrets.resolve(entry.passphrase) });
          } catch (error) {
            throw new OctoError('config', `the passphrase ${entry.passphrase} does not unlock decryption key ${entry.key} of provider ${this.provider.name}`, { cause: error, fatal: true });
          }
        }
        decryptionKeys.push(key);
      }
      return { decryptionKeys, passwords };
    })();
    this.keys.catch(() => { this.keys = undefined; });
    return this.keys;
  }
}
