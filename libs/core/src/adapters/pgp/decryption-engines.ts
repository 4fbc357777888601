import type { Newable } from 'inversify';
import type { DecryptionConfig } from '../../config/config-schema.js';
import type { Decryptor } from '../../ports/decryptor.js';
import { AutoDecryptor } from './auto-decryptor.js';
import { GnuPgDecryptor } from './gnupg-decryptor.js';
import { OpenPgpDecryptor } from './openpgp-decryptor.js';

/** The Decryptor adapter each `decryption.engine` value binds, so choosing one is one binding. */
export const decryptionEngines: Record<DecryptionConfig['engine'], Newable<Decryptor>> = {
  auto: AutoDecryptor,
  openpgp: OpenPgpDecryptor,
  gnupg: GnuPgDecryptor,
};
