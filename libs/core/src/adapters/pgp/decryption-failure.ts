import { OctoError } from '../../errors/octo-error.js';

/** A decryption key that loaded: its key id and its subkeys' ids (16 hex digits, upper case). */
export interface KeyIdentity {
  readonly primary: string;
  readonly subkeys: readonly string[];
  /** The primary key's fingerprint (hex, upper case). */
  readonly fingerprint?: string;
  /** Its position in `decryption.privateKeys`. */
  readonly index?: number;
  /** `decryption.privateKeys[].retiresAt`, when set (YYYY-MM-DD). */
  readonly retiresAt?: string;
}

/** A configured decryption key that could not be loaded, and why. */
export interface UnusableKey {
  /** Its position in `decryption.privateKeys`. */
  readonly index: number;
  /** Its secret reference (never its value). */
  readonly ref: string;
  /** Why, for a person: "not an armored OpenPGP private key", "the passphrase ... does not unlock it", "unsupported: ...". */
  readonly reason: string;
  /** The key ids it would have served, when it could be read far enough to know them. */
  readonly keyIds: readonly string[];
}

const label = (key: UnusableKey) => `decryption.privateKeys[${key.index}] (${key.ref})`;

function describeHave(have: readonly KeyIdentity[]): string {
  if (have.length === 0) return 'no private key that loaded';
  return have.map((key) => (key.subkeys.length ? `${key.primary} (subkey ${key.subkeys.join(', ')})` : key.primary)).join(', ');
}

/**
 * The failures of decryption, one distinct message each, shared by every {@link Decryptor}
 * engine so that openpgp.js and GnuPG say the same thing for the same file: a wrong passphrase,
 * a key we do not have, a key we have but could not load, an unsupported algorithm, tampering
 * and truncation. Messages name key ids and secret references, never a secret's value.
 */
export const DecryptionFailure = {
  wrongPassphrase(path: string, provider: string, ref: string): OctoError {
    return new OctoError(
      'decrypt',
      `${path} is encrypted with a passphrase, and decryption.passphrase (${ref}) of provider ${provider} is not the one it was encrypted with: check that secret, or ask the partner which passphrase they used`,
    );
  },

  /** A passphrase's key could not be checked early (a cipher without the quick check in OpenSSL) and the data did not parse. */
  wrongPassphraseOrDamaged(path: string, provider: string): OctoError {
    return new OctoError(
      'decrypt',
      `${path} could not be decrypted with decryption.passphrase of provider ${provider}: the passphrase is wrong, or the file was altered or cut short; check the passphrase, then ask the partner to send it again`,
    );
  },

  /** Kind `secret` when the passphrase is configured but cannot be read: the machine's fault, not the file's. */
  noPassphrase(path: string, provider: string, problem?: string): OctoError {
    return new OctoError(
      problem ? 'secret' : 'decrypt',
      `${path} is encrypted with a passphrase, but provider ${provider} has no usable decryption.passphrase${problem ? ` (${problem})` : ''}: set decryption.passphrase to a secret reference that holds it`,
    );
  },

  /** Encrypted to keys we do not have: names the ids it needs and the ids we have. */
  noMatchingKey(path: string, provider: string, needed: readonly string[], have: readonly KeyIdentity[], unusable: readonly UnusableKey[], orPassphrase = false): OctoError {
    const anonymous = needed.length > 0 && needed.every((id) => /^0+$/.test(id));
    const to = anonymous ? 'an undisclosed key (its recipient id is hidden)' : `key ${needed.join(', ')}`;
    const notes = unusable.map((key) => `; ${label(key)} could not be loaded: ${key.reason}`).join('');
    return new OctoError(
      'decrypt',
      `${path} is encrypted to ${to}${orPassphrase ? ' or with a passphrase (decryption.passphrase is not set)' : ''}, but provider ${provider} has ${describeHave(have)}${notes}: add the private key it is encrypted to to decryption.privateKeys, or ask the partner to encrypt to one of ours`,
    );
  },

  /** Encrypted to a key that is configured but could not be loaded. */
  keyUnusable(path: string, provider: string, keyId: string, key: UnusableKey): OctoError {
    return new OctoError(
      'decrypt',
      `${path} is encrypted to key ${keyId}, which is ${label(key)} of provider ${provider}, but that key could not be loaded: ${key.reason}`,
    );
  },

  unsupported(path: string, algorithm: string, hint = ''): OctoError {
    return new OctoError(
      'decrypt',
      `${path} cannot be decrypted: unsupported: ${algorithm}. Ask the partner to use a supported algorithm (GnuPG's default, AES256, is)${hint}`,
    );
  },

  /** The integrity check failed: the MDC, the AEAD tag, the armor checksum, or the data inside is corrupt. */
  tampered(path: string): OctoError {
    return new OctoError('decrypt', `${path} failed its integrity check: the file was altered or damaged after it was encrypted; ask the partner to send it again`);
  },

  truncated(path: string): OctoError {
    return new OctoError(
      'decrypt',
      `${path} ends before its OpenPGP message does: the file is truncated (cut in transit, or still being written when it was listed); ask the partner to send it again`,
    );
  },

  damaged(path: string, detail: string): OctoError {
    return new OctoError('decrypt', `${path} is not a readable OpenPGP message (${detail}): ask the partner to send it again`);
  },

  notOpenPgp(path: string, head: string): OctoError {
    return new OctoError('decrypt', `${path} is named as an OpenPGP message but starts with ${head}: it is not encrypted data`);
  },

  /** Nothing is configured to decrypt with: a job-level config error. */
  notConfigured(path: string, provider: string): OctoError {
    return new OctoError('config', `${path} is encrypted but provider ${provider} has no decryption.passphrase or decryption.privateKeys`, { fatal: true });
  },

  /** Keys and a passphrase are configured, but not one of them could be loaded: a job-level config error. */
  nothingUsable(provider: string, unusable: readonly UnusableKey[], passphrase?: { ref: string; problem: string }): OctoError {
    const reasons = [
      ...unusable.map((key) => `${label(key)}: ${key.reason}`),
      ...(passphrase ? [`decryption.passphrase (${passphrase.ref}): ${passphrase.problem}`] : []),
    ];
    return new OctoError('config', `provider ${provider} has no decryption key or passphrase that can be used: ${reasons.join('; ')}`, { fatal: true });
  },

  /** Why a configured key could not be loaded, worded the same by every engine. */
  reasons: {
    notArmored: 'it is not an armored OpenPGP private key (one starts with -----BEGIN PGP PRIVATE KEY BLOCK-----; gpg --armor --export-secret-keys writes one)',
    publicKey: 'it is a public key, not a private key: export the private key (gpg --armor --export-secret-keys)',
    protectedWithoutPassphrase: (index: number) => `it is protected by a passphrase: set decryption.privateKeys[${index}].passphrase to a secret reference`,
    wrongKeyPassphrase: (ref: string) => `the passphrase ${ref} does not unlock it`,
    noEncryptionKey: 'it has no key this engine can decrypt with: no encryption subkey, or only one of an algorithm or curve the engine does not support',
  },

  /** The line logged once per key that cannot be loaded. */
  keyWarning(provider: string, key: UnusableKey): string {
    return `${label(key)} of provider ${provider} cannot be loaded: ${key.reason}; files encrypted to it will fail, the other keys are used`;
  },
};
