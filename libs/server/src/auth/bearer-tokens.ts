import { createHash, timingSafeEqual } from 'node:crypto';
import type { SecretResolver } from '@octo/core';
import { OctoError } from '@octo/core';

/**
 * Checks bearer tokens in constant time. Only sha256 digests of the accepted tokens are
 * kept; a presented token is hashed and compared with every one of them (no early exit),
 * so neither the time taken nor a length difference tells an attacker anything.
 */
export class BearerTokens {
  private constructor(private readonly digests: readonly Buffer[]) {}

  /** Resolves the token references from config; an unset or empty one fails at start. */
  static async fromRefs(refs: readonly string[], secrets: SecretResolver): Promise<BearerTokens> {
    const digests: Buffer[] = [];
    for (const ref of refs) {
      const token = (await secrets.resolve(ref)).trim();
      if (token.length < 16) {
        throw new OctoError('secret', `api token ${ref} is shorter than 16 characters: use a long random value (e.g. openssl rand -hex 32)`, { fatal: true });
      }
      digests.push(sha256(token));
    }
    return new BearerTokens(digests);
  }

  /** True when the `Authorization` header carries one of the accepted tokens. */
  verify(authorization: string | undefined): boolean {
    const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization ?? '');
    const presented = sha256(match?.[1] ?? '');
    let ok = false;
    for (const digest of this.digests) ok = timingSafeEqual(presented, digest) || ok;
    return ok && match !== null;
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
