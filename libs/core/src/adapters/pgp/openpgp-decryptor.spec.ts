import type { ProviderContext } from '../../ports/identifiers.js';
import { decryptorContract } from '../../testing/decryptor-contract.js';
import { OpenPgpDecryptor } from './openpgp-decryptor.js';

decryptorContract('OpenPgpDecryptor', {
  create: (decryption, { secrets, logger }) =>
    new OpenPgpDecryptor({ name: 'acme', config: { decryption } } as unknown as ProviderContext, secrets, logger),
});
