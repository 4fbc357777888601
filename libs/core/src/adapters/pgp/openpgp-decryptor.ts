import { PassThrough, Readable, type Transform } from 'node:stream';
import { inject, injectable, optional } from 'inversify';
import * as openpgp from 'openpgp';
import { OctoError } from '../../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type { Decrypted, Decryptor } from '../../ports/decryptor.js';
import type { FileContext } from '../../ports/file-context.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import { cfbQuickCheck } from './cfb-quick-check.js';
import { DecryptionFailure } from './decryption-failure.js';
import { RetiredKeyReporter } from './key-retirement.js';
import type { FileProvenance } from '../../ports/file-provenance.js';
import { loadOpenPgpKeyring, type OpenPgpKeyring } from './openpgp-keyring.js';
import { pgpAlgorithms } from './pgp-algorithms.js';
import { settleOrStall, stallGuard } from './stall-guard.js';
import { readOpenPgpInput, type OpenPgpInput } from './pgp-input.js';
import { isTextLiteral, TextModeOutput } from './text-mode-output.js';

type WebBytes = ReadableStream<Uint8Array>;
type SessionKey = openpgp.SessionKey;

/** Cipher ids openpgp.js decrypts; GnuPG also offers IDEA and Camellia, which it does not. */
const SUPPORTED_CIPHERS = new Set([2, 3, 4, 7, 8, 9, 10]);
/** How long a passphrase message that could not be checked early may make no progress once it was read whole. */
const STALL_MS = 5_000;
const ENGINE_HINT = ', or set decryption.engine: gnupg for this provider';

/**
 * OpenPGP decryption with openpgp.js, streaming: plaintext flows out as it is decrypted
 * (`allowUnauthenticatedStream`), and the integrity check at the end of the message errors
 * the stream, so the pipeline's commit, which waits for the end, is what waits for the check.
 * Passphrase- and public-key-encrypted messages, armored or binary; text-mode literal data
 * lands as `gpg --decrypt` writes it. A configured key that cannot be loaded is logged once and
 * set aside; files that need it fail naming it, the others decrypt with the keys that loaded.
 * Detached signatures are a separate stage ({@link OpenPgpSignatureVerifier}).
 */
@injectable()
export class OpenPgpDecryptor implements Decryptor {
  private keyring?: Promise<OpenPgpKeyring>;
  private readonly retired: RetiredKeyReporter;

  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.SecretResolver) private readonly secrets: SecretResolver,
    @inject(TYPES.Logger) @optional() private readonly logger: Logger = silentLogger,
  ) {
    this.retired = new RetiredKeyReporter(provider.name, logger);
  }

  async decrypt(input: Readable, context: FileContext): Promise<Decrypted> {
    const keyring = await this.loadKeyring(context);
    const source = await readOpenPgpInput(input, context);

    let message: openpgp.Message<WebBytes>;
    try {
      const web = Readable.toWeb(source.stream) as unknown as WebBytes;
      message = (source.armored
        ? await openpgp.readMessage({ armoredMessage: web.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>) })
        : await openpgp.readMessage({ binaryMessage: web })) as openpgp.Message<WebBytes>;
    } catch (error) {
      throw this.explain(error, source, context, false);
    }

    const { keys, unverified, decryptedBy: decryptingKey } = await this.sessionKeys(message, keyring, context);
    const retiredSince = decryptingKey ? this.retired.used(keyring.identities.find((key) => key.fingerprint === decryptingKey.fingerprint), context.file.path) : undefined;
    const decryptedBy = decryptingKey && retiredSince ? { ...decryptingKey, retiredSince } : decryptingKey;
    let data: WebBytes;
    let text = false;
    const layers: openpgp.Message<WebBytes>[] = [message];
    try {
      const decrypting = message.decrypt(undefined, undefined, keys, undefined, {
        ...openpgp.config,
        allowUnauthenticatedStream: true,
        maxDecompressedMessageSize: context.budget?.backstopBytes ?? Infinity,
      });
      const stalled = () => DecryptionFailure.wrongPassphraseOrDamaged(context.file.path, context.provider);
      const decrypted = unverified ? await settleOrStall(decrypting, source.stream, STALL_MS, stalled) : await decrypting;
      const inner = decrypted.unwrapCompressed() as openpgp.Message<WebBytes>;
      layers.push(decrypted as openpgp.Message<WebBytes>, ...(inner === decrypted ? [] : [inner]));
      const literal = inner.packets.findPacket(openpgp.enums.packet.literalData) as unknown as { format?: unknown } | undefined;
      text = isTextLiteral(literal?.format);
      const bytes = decrypted.getLiteralData() as WebBytes | null;
      if (!bytes) throw DecryptionFailure.damaged(context.file.path, 'it holds no literal data');
      data = bytes;
    } catch (error) {
      throw this.explain(error, source, context, unverified);
    }

    const plaintext = Readable.from(thenRest(data, layers));
    // Text-mode literal data lands as gpg --decrypt writes it on Linux (CRs dropped).
    const out: Transform = text ? new TextModeOutput() : new PassThrough();
    plaintext.on('error', (error) => out.destroy(this.explain(error, source, context, unverified)));
    plaintext.pipe(out);
    if (unverified) stallGuard(source.stream, out, STALL_MS, () => DecryptionFailure.wrongPassphraseOrDamaged(context.file.path, context.provider));
    // A reader that gives up (a failed entry, a cancelled job) stops decryption too.
    out.on('close', () => plaintext.destroy());
    const ended = new Promise<void>((resolve, reject) => {
      out.on('end', resolve);
      out.on('error', reject);
      out.on('close', () => {
        if (!out.readableEnded) reject(new OctoError('decrypt', `${context.file.path}: decryption stopped before the end of the message`));
      });
    });
    const verified = ended.then((): FileProvenance | void => (decryptedBy ? { decryptedBy } : undefined));
    verified.catch(() => undefined);
    return { stream: out, verified };
  }

  /**
   * Finds the session key before any plaintext flows, so each reason a file cannot be decrypted
   * gets its own message: no key of ours, a key of ours that did not load, a wrong passphrase,
   * an unsupported cipher. `unverified` is true when a passphrase's key could not be checked early.
   */
  private async sessionKeys(
    message: openpgp.Message<WebBytes>,
    keyring: OpenPgpKeyring,
    context: FileContext,
  ): Promise<{ keys: SessionKey[]; unverified: boolean; decryptedBy?: FileProvenance['decryptedBy'] }> {
    const { path } = context.file;
    const needed = message.getEncryptionKeyIDs().map((id) => id.toHex().toUpperCase());
    const skesks = message.packets.filterByTag(openpgp.enums.packet.symEncryptedSessionKey) as unknown as openpgp.SymEncryptedSessionKeyPacket[];
    const passphrase = keyring.passphrase;

    if (needed.length > 0 && keyring.keys.length > 0) {
      const found = await publicKeySessionKeys(message, keyring.keys);
      if (found.unsupportedCipher) {
        throw DecryptionFailure.unsupported(path, 'a session-key cipher other than AES, 3DES, CAST5, BLOWFISH or TWOFISH (GnuPG also offers CAMELLIA and IDEA)', ENGINE_HINT);
      }
      if (found.keys.length > 0) return { keys: found.keys, unverified: false, ...(found.decryptedBy ? { decryptedBy: found.decryptedBy } : {}) };
      if (found.error && !(skesks.length > 0 && passphrase.value !== undefined)) {
        const ours = needed.find((id) => keyring.identities.some((key) => key.primary === id || key.subkeys.includes(id)));
        if (ours) throw DecryptionFailure.damaged(path, `its session key for key ${ours} does not decrypt: ${found.error}`);
      }
    }

    if (skesks.length > 0 && passphrase.value !== undefined) {
      for (const skesk of skesks) {
        const cipher = (skesk as unknown as { sessionKeyAlgorithm?: unknown }).sessionKeyAlgorithm;
        if (typeof cipher === 'number' && !SUPPORTED_CIPHERS.has(cipher)) {
          throw DecryptionFailure.unsupported(path, pgpAlgorithms.cipherName(cipher), ENGINE_HINT);
        }
      }
      let found: SessionKey[];
      try {
        found = (await openpgp.decryptSessionKeys({ message, passwords: [passphrase.value] })) as SessionKey[];
      } catch {
        throw DecryptionFailure.wrongPassphrase(path, context.provider, passphrase.ref ?? 'decryption.passphrase');
      }
      const head = await encryptedHead(message);
      const checked = found.map((key) => ({ key, ok: head ? cfbQuickCheck(String(key.algorithm), key.data, head) : undefined }));
      const passing = checked.filter((entry) => entry.ok !== false);
      if (passing.length === 0) throw DecryptionFailure.wrongPassphrase(path, context.provider, passphrase.ref ?? 'decryption.passphrase');
      return { keys: passing.map((entry) => entry.key), unverified: passing.some((entry) => entry.ok === undefined) };
    }

    if (needed.length > 0) {
      for (const id of needed) {
        const bad = keyring.unusable.find((key) => key.keyIds.includes(id));
        if (bad) throw DecryptionFailure.keyUnusable(path, context.provider, id, bad);
      }
      throw DecryptionFailure.noMatchingKey(path, context.provider, needed, keyring.identities, keyring.unusable, skesks.length > 0);
    }
    if (skesks.length > 0) throw DecryptionFailure.noPassphrase(path, context.provider, passphrase.problem);
    throw DecryptionFailure.damaged(path, 'it holds no session key, neither for a passphrase nor for a public key');
  }

  /** Maps what openpgp.js threw to the distinct messages: tampered, truncated, unsupported, damaged. */
  private explain(error: unknown, source: OpenPgpInput, context: FileContext, unverifiedPassphrase: boolean): OctoError {
    const { path } = context.file;
    const input = source.inputError();
    if (input !== undefined) return OctoError.wrap('source', input, path);
    if (OctoError.is(error)) return error;
    const detail = (error instanceof Error ? error.message : String(error)).replace(/^Error (decrypting|reading) message: /, '');
    if (source.armorCut()) return DecryptionFailure.truncated(path);
    // Before the passphrase and tag checks below: openpgp.js says "not authenticated" of a message that has no MDC at all.
    if (/not authenticated|integrity protect/i.test(detail)) {
      return DecryptionFailure.unsupported(path, 'encryption without integrity protection (no MDC), which Octo refuses as GnuPG does');
    }
    // A passphrase key that could not be checked early (CAST5, BLOWFISH, TWOFISH) decrypts to garbage when it is wrong,
    // and garbage fails in any way at all (a parse error, a short packet, the MDC): only "wrong, or damaged" is true.
    if (unverifiedPassphrase) return DecryptionFailure.wrongPassphraseOrDamaged(path, context.provider);
    if (/unexpected end of packet|unexpected end|premature|end of stream/i.test(detail)) return DecryptionFailure.truncated(path);
    if (/modification detected/i.test(detail)) return DecryptionFailure.tampered(path);
    if (/authentication tag|tag mismatch|authenticat/i.test(detail)) return DecryptionFailure.tampered(path);
    if (/armor integrity|checksum/i.test(detail)) return DecryptionFailure.tampered(path);
    return DecryptionFailure.damaged(path, detail);
  }

  /** Loads the keyring when the job starts, so a key or passphrase that cannot be used is known before any file. */
  async prepare(): Promise<void> {
    const config = this.provider.config.decryption;
    if (config.passphrase || config.privateKeys.length > 0) await this.loadKeyring();
  }

  private loadKeyring(context?: FileContext): Promise<OpenPgpKeyring> {
    this.keyring ??= (async () => {
      const config = this.provider.config.decryption;
      if (!config.passphrase && config.privateKeys.length === 0) throw DecryptionFailure.notConfigured(context?.file.path ?? '', this.provider.name);
      const keyring = await loadOpenPgpKeyring(config, this.secrets);
      // Reported once per job, here; files that need a key set aside name it in their own failure.
      for (const key of keyring.unusable) this.logger.warn(DecryptionFailure.keyWarning(this.provider.name, key), { provider: this.provider.name, key: key.ref });
      if (keyring.keys.length === 0 && keyring.passphrase.value === undefined) {
        throw DecryptionFailure.nothingUsable(
          this.provider.name,
          keyring.unusable,
          keyring.passphrase.ref && keyring.passphrase.problem ? { ref: keyring.passphrase.ref, problem: keyring.passphrase.problem } : undefined,
        );
      }
      return keyring;
    })();
    this.keyring.catch(() => {
      this.keyring = undefined;
    });
    return this.keyring;
  }
}

interface SessionKeyPacket {
  readonly publicKeyID: openpgp.KeyID;
  sessionKey?: Uint8Array;
  sessionKeyAlgorithm?: number;
  read(bytes: Uint8Array): void;
  write(): Uint8Array;
  decrypt(keyPacket: unknown): Promise<void>;
}

/**
 * Decrypts the public-key session keys with our keys, packet by packet. openpgp.decryptSessionKeys
 * refuses a session key whose cipher is not among the key's stated preferences, but GnuPG
 * encrypts with any cipher a partner forces (`--cipher-algo TWOFISH`) and decrypts it, so Octo
 * must too. An unknown cipher id shows as openpgp.js's "Invalid enum value".
 */
async function publicKeySessionKeys(
  message: openpgp.Message<WebBytes>,
  keys: readonly openpgp.PrivateKey[],
): Promise<{ keys: SessionKey[]; unsupportedCipher: boolean; error?: string; decryptedBy?: { fingerprint: string; keyId: string } }> {
  const packets = message.packets.filterByTag(openpgp.enums.packet.publicKeyEncryptedSessionKey) as unknown as SessionKeyPacket[];
  const found: SessionKey[] = [];
  let decryptedBy: { fingerprint: string; keyId: string } | undefined;
  let unsupportedCipher = false;
  let error: string | undefined;
  for (const packet of packets) {
    for (const key of keys) {
      let candidates: (openpgp.PrivateKey | openpgp.Subkey)[];
      try {
        candidates = await key.getDecryptionKeys(packet.publicKeyID, null, undefined, openpgp.config);
      } catch {
        continue;
      }
      for (const candidate of candidates) {
        const copy = new openpgp.PublicKeyEncryptedSessionKeyPacket() as unknown as SessionKeyPacket;
        copy.read(packet.write());
        try {
          await copy.decrypt(candidate.keyPacket);
          if (copy.sessionKey && copy.sessionKeyAlgorithm !== undefined) {
            found.push({ data: copy.sessionKey, algorithm: openpgp.enums.read(openpgp.enums.symmetric, copy.sessionKeyAlgorithm) as SessionKey['algorithm'] });
            decryptedBy ??= { fingerprint: key.getFingerprint().toUpperCase(), keyId: candidate.getKeyID().toHex().toUpperCase() };
          }
        } catch (cause) {
          const detail = (cause as Error).message;
          if (/invalid enum value/i.test(detail)) unsupportedCipher = true;
          else error = detail;
        }
      }
    }
  }
  return { keys: found, unsupportedCipher: found.length === 0 && unsupportedCipher, error, ...(decryptedBy ? { decryptedBy } : {}) };
}

/**
 * The literal data, then the rest of the message's packet stream: openpgp.js reports the
 * integrity check (MDC, AEAD tag) through each layer's packet stream, not the literal data, so a
 * reader that stops at the data's end would never hear of tampering (what openpgp.decrypt's
 * own linkStreams does).
 */
async function* thenRest(data: WebBytes, layers: readonly openpgp.Message<WebBytes>[]): AsyncGenerator<Uint8Array> {
  const reader = data.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      yield next.value;
    }
  } finally {
    reader.releaseLock();
  }
  for (const layer of layers) {
    const rest = (layer.packets as unknown as { stream?: ReadableStream<unknown> }).stream;
    if (!rest || typeof rest.getReader !== 'function') continue;
    const restReader = rest.getReader();
    for (;;) {
      const next = await restReader.read();
      if (next.done) break;
    }
  }
}

/**
 * The first bytes of the message's integrity-protected (v1) encrypted data, read from a tee of
 * its stream so openpgp.js still reads every byte; undefined for other kinds of encrypted data.
 */
async function encryptedHead(message: openpgp.Message<WebBytes>): Promise<Uint8Array | undefined> {
  const packet = message.packets.findPacket(openpgp.enums.packet.symEncryptedIntegrityProtectedData) as unknown as
    | { version: number; encrypted: unknown }
    | undefined;
  if (!packet || packet.version !== 1) return undefined;
  const encrypted = packet.encrypted;
  if (encrypted instanceof Uint8Array) return encrypted.subarray(0, 18);
  if (!(encrypted instanceof ReadableStream)) return undefined;
  const [forOpenPgp, forCheck] = (encrypted as WebBytes).tee();
  packet.encrypted = forOpenPgp;
  const reader = forCheck.getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  while (have < 18) {
    const next = await reader.read();
    if (next.done) break;
    chunks.push(next.value);
    have += next.value.length;
  }
  void reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, 18);
}
