import { generateTestKey } from './pgp-fixtures.js';

/** A generated key pair (the private key unprotected) and a passphrase, for test drops only. */
export interface TestKeys {
  readonly privateKey: string;
  readonly publicKey: string;
  readonly passphrase: string;
}

let keys: Promise<TestKeys> | undefined;

/** The test keys of this process: generated once, so every workspace of a spec file shares them. */
export function testKeys(): Promise<TestKeys> {
  keys ??= generateTestKey('Octo Test Partner').then((pair) => ({ ...pair, passphrase: 'test drop passphrase' }));
  return keys;
}
