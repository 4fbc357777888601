import type { Logger } from '../../ports/logger.js';
import type { KeyIdentity } from './decryption-failure.js';

/** True when the key's `retiresAt` date (UTC) has begun by `now`. */
export function isRetired(identity: Pick<KeyIdentity, 'retiresAt'>, now: Date = new Date()): boolean {
  return identity.retiresAt !== undefined && now.getTime() >= Date.parse(`${identity.retiresAt}T00:00:00Z`);
}

/** The sentence that reports a retired key in use, in logs and in `octo check`. */
export function retiredKeyMessage(provider: string, identity: KeyIdentity): string {
  return (
    `decryption.privateKeys[${identity.index ?? '?'}] (key ${identity.primary}${identity.fingerprint ? `, fingerprint ${identity.fingerprint}` : ''}) of provider ${provider} ` +
    `is past its retiresAt date ${identity.retiresAt}, and still decrypts: ask the partner to encrypt to the new key, then remove this one`
  );
}

/**
 * Reports each retired key once per job, the first time it decrypts a file: a key past its
 * date keeps working (a rotation must not page anyone), but someone must hear of it.
 */
export class RetiredKeyReporter {
  private readonly reported = new Set<string>();

  constructor(
    private readonly provider: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Logs a warning if `identity` is retired and was not reported yet in this job. Returns its
   * `retiresAt` date when it is retired (every time: each file it decrypts is counted).
   */
  used(identity: KeyIdentity | undefined, path: string): string | undefined {
    if (!identity || !isRetired(identity)) return undefined;
    if (!this.reported.has(identity.primary)) {
      this.reported.add(identity.primary);
      this.logger.warn(retiredKeyMessage(this.provider, identity), { provider: this.provider, key: identity.primary, retiresAt: identity.retiresAt, file: path });
    }
    return identity.retiresAt;
  }
}
