import * as openpgp from 'openpgp';
import type { DecryptionConfig } from '../config/config-schema.js';
import { OctoError } from '../errors/octo-error.js';
import { GnuPgHome } from '../adapters/pgp/gnupg-home.js';
import type { KeyIdentity, UnusableKey } from '../adapters/pgp/decryption-failure.js';
import { isRetired, retiredKeyMessage } from '../adapters/pgp/key-retirement.js';
import { loadOpenPgpKeyring } from '../adapters/pgp/openpgp-keyring.js';
import type { SecretResolver } from '../secrets/secret-ref.js';

/**
 * The `keys` step of `octo check`: loads every private key with the provider's own engine and
 * says which key ids it can decrypt; a key that does not load fails the step with why, a key past
 * its `retiresAt` makes it a warning.
 */
export async function checkDecryptionKeys(provider: string, config: DecryptionConfig, secrets: SecretResolver): Promise<{ status?: 'pass' | 'warn' | 'skip'; detail: string }> {
  const signers = await verificationKeyIds(config, secrets);
  if (config.privateKeys.length === 0) {
    const none = config.passphrase ? 'no private keys (passphrase-encrypted files only)' : 'no private keys';
    return { status: signers.length > 0 ? 'pass' : 'skip', detail: [none, ...signers].join('; ') };
  }
  let identities: readonly KeyIdentity[];
  let unusable: readonly UnusableKey[];
  if (config.engine === 'gnupg') {
    const home = await GnuPgHome.create(config, secrets);
    ({ identities, unusable } = home);
    await home.dispose();
  } else {
    ({ identities, unusable } = await loadOpenPgpKeyring(config, secrets));
  }
  const loaded = identities.map((key) => `decryption.privateKeys[${key.index}] decrypts key ${[key.primary, ...key.subkeys].join(', ')}`);
  if (unusable.length > 0) {
    const why = unusable.map((key) => `decryption.privateKeys[${key.index}] (${key.ref}) cannot be loaded: ${key.reason}`);
    throw new OctoError('config', [...why, ...loaded, ...signers].join('; '));
  }
  const retired = identities.filter((key) => isRetired(key)).map((key) => retiredKeyMessage(provider, key));
  return { status: retired.length > 0 ? 'warn' : 'pass', detail: [...loaded, ...signers, ...retired].join('; ') };
}

/** `decryption.verificationKeys[i] verifies key ...` for each key that reads; one that does not throws with why. */
async function verificationKeyIds(config: DecryptionConfig, secrets: SecretResolver): Promise<string[]> {
  const lines: string[] = [];
  for (const [index, ref] of config.verificationKeys.entries()) {
    let keys: openpgp.Key[];
    try {
      keys = await openpgp.readKeys({ armoredKeys: await secrets.resolve(ref) });
    } catch (error) {
      const why = OctoError.is(error) ? error.message : 'it is not an armored OpenPGP public key';
      throw new OctoError('config', `decryption.verificationKeys[${index}] (${ref}) cannot be loaded: ${why}`);
    }
    const allowed = config.allowedSigners;
    for (const key of keys) {
      const fingerprint = key.getFingerprint().toUpperCase();
      const refused = allowed.length > 0 && !allowed.includes(fingerprint) ? ' (not in decryption.allowedSigners: its signatures are refused)' : '';
      lines.push(`decryption.verificationKeys[${index}] verifies signatures by ${fingerprint}${refused}`);
    }
  }
  return lines;
}
