import type { ProviderConfig } from '../config/config-schema.js';

/** Every secret reference in a provider's config, with the config field that holds it. */
export function secretRefsOf(config: ProviderConfig): { field: string; ref: string }[] {
  const found: { field: string; ref: string }[] = [];
  const add = (field: string, ref: string | undefined) => {
    if (ref !== undefined) found.push({ field, ref });
  };
  const { source, decryption } = config;
  add('source.privateKey', source.privateKey);
  add('source.privateKeyPassphrase', source.privateKeyPassphrase);
  add('source.password', source.password);
  add('source.proxy.username', source.proxy?.username);
  add('source.proxy.password', source.proxy?.password);
  add('source.jumpHost.privateKey', source.jumpHost?.privateKey);
  add('source.jumpHost.privateKeyPassphrase', source.jumpHost?.privateKeyPassphrase);
  add('source.jumpHost.password', source.jumpHost?.password);
  add('decryption.passphrase', decryption.passphrase);
  for (const [index, key] of decryption.privateKeys.entries()) {
    add(`decryption.privateKeys[${index}].key`, key.key);
    add(`decryption.privateKeys[${index}].passphrase`, key.passphrase);
  }
  for (const [index, ref] of decryption.verificationKeys.entries()) add(`decryption.verificationKeys[${index}]`, ref);
  return found;
}
