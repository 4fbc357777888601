import type { DecryptionConfig } from '../../config/config-schema.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';

/** The provider's message passphrase, resolved; or why it cannot be used. */
export interface MessagePassphrase {
  readonly ref?: string;
  readonly value?: string;
  readonly problem?: string;
}

/**
 * Resolves `decryption.passphrase` by the passphrase-file convention. A reference that cannot
 * be resolved is reported, not thrown: the provider's keys may still decrypt its other files.
 */
export async function resolveMessagePassphrase(config: DecryptionConfig, secrets: SecretResolver): Promise<MessagePassphrase> {
  if (!config.passphrase) return {};
  try {
    return { ref: config.passphrase, value: await secrets.resolvePassphrase(config.passphrase) };
  } catch (error) {
    return { ref: config.passphrase, problem: (error as Error).message };
  }
}
