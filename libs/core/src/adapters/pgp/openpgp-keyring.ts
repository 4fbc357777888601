import * as openpgp from 'openpgp';
import type { DecryptionConfig } from '../../config/config-schema.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import { DecryptionFailure, type KeyIdentity, type UnusableKey } from './decryption-failure.js';
import { resolveMessagePassphrase, type MessagePassphrase } from './message-passphrase.js';

/** What a provider can decrypt with in openpgp.js: the keys that loaded, those that did not and why, the passphrase. */
export interface OpenPgpKeyring {
  readonly keys: readonly openpgp.PrivateKey[];
  readonly identities: readonly KeyIdentity[];
  readonly unusable: readonly UnusableKey[];
  readonly passphrase: MessagePassphrase;
}

const hex = (id: openpgp.KeyID) => id.toHex().toUpperCase();

/** Why openpgp.js could not read an armored key, for a person. */
function unreadable(text: string, error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error);
  if (/BEGIN PGP PUBLIC KEY BLOCK/.test(text)) return DecryptionFailure.reasons.publicKey;
  if (!/-----BEGIN PGP /.test(text)) return DecryptionFailure.reasons.notArmored;
  if (/unknown curve|unsupported|not (yet )?implemented|unknown .*algorithm|invalid enum/i.test(detail)) return `unsupported: ${detail.replace(/^.*?:\s*/, '')}`;
  return `it cannot be read as an OpenPGP private key (${detail})`;
}

/**
 * Loads each configured key on its own: a key that cannot be read or unlocked is set aside with
 * its reason (and its key ids, when it could be read), and the others are kept.
 */
export async function loadOpenPgpKeyring(config: DecryptionConfig, secrets: SecretResolver): Promise<OpenPgpKeyring> {
  const keys: openpgp.PrivateKey[] = [];
  const identities: KeyIdentity[] = [];
  const unusable: UnusableKey[] = [];
  for (const [index, entry] of config.privateKeys.entries()) {
    const fail = (reason: string, keyIds: string[] = []) => unusable.push({ index, ref: entry.key, reason, keyIds });
    let text: string;
    try {
      text = await secrets.resolve(entry.key);
    } catch (error) {
      fail((error as Error).message);
      continue;
    }
    let key: openpgp.PrivateKey;
    try {
      key = await openpgp.readPrivateKey({ armoredKey: text });
    } catch (error) {
      fail(unreadable(text, error));
      continue;
    }
    const ids = key.getKeyIDs().map(hex);
    if (!key.isDecrypted()) {
      if (!entry.passphrase) {
        fail(DecryptionFailure.reasons.protectedWithoutPassphrase(index), ids);
        continue;
      }
      let passphrase: string;
      try {
        passphrase = await secrets.resolvePassphrase(entry.passphrase);
      } catch (error) {
        fail((error as Error).message, ids);
        continue;
      }
      try {
        key = await openpgp.decryptKey({ privateKey: key, passphrase });
      } catch (error) {
        const detail = (error as Error).message;
        fail(/incorrect key passphrase/i.test(detail) ? DecryptionFailure.reasons.wrongKeyPassphrase(entry.passphrase) : `it cannot be unlocked (${detail})`, ids);
        continue;
      }
    }
    // openpgp.js drops a subkey of an unknown algorithm or curve while reading: a key left without one cannot decrypt.
    if ((await key.getDecryptionKeys(undefined, null, undefined, openpgp.config).catch(() => [])).length === 0) {
      fail(DecryptionFailure.reasons.noEncryptionKey, ids);
      continue;
    }
    keys.push(key);
    identities.push({
      primary: hex(key.getKeyID()),
      subkeys: key.getSubkeys().map((subkey) => hex(subkey.getKeyID())),
      fingerprint: key.getFingerprint().toUpperCase(),
      index,
      ...(entry.retiresAt ? { retiresAt: entry.retiresAt } : {}),
    });
  }
  return { keys, identities, unusable, passphrase: await resolveMessagePassphrase(config, secrets) };
}
