import type { ProviderContext } from '../../ports/identifiers.js';
import { decryptorContract } from './decryptor-contract.js';
import { GnuPgDecryptor } from './gnupg-decryptor.js';

// The same cases as the openpgp.js engine, against real gpg on an ephemeral home.
decryptorContract('GnuPgDecryptor', {
  create: (decryption, { secrets, logger }) =>
    new GnuPgDecryptor({ name: 'acme', config: { decryption }, limits: { maxUnpackedBytes: 1024 ** 3 } } as unknown as ProviderContext, secrets, logger),
  dispose: (decryptor) => (decryptor as GnuPgDecryptor).close(),
});
