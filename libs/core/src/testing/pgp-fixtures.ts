import * as openpgp from 'openpgp';

/** A fresh Curve25519 key pair, armored, optionally protected by a passphrase (tests only). */
export async function generateTestKey(name = 'Test Partner', options: { passphrase?: string } = {}): Promise<{ privateKey: string; publicKey: string }> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email: 'test@octo.invalid' }],
    format: 'armored',
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
  });
  return { privateKey, publicKey };
}

/** The key id and subkey ids of an armored key, as 16 upper-case hex digits (tests only). */
export async function testKeyIds(armoredKey: string): Promise<{ primary: string; subkeys: string[] }> {
  const key = await openpgp.readKey({ armoredKey });
  const hex = (id: openpgp.KeyID) => id.toHex().toUpperCase();
  return { primary: hex(key.getKeyID()), subkeys: key.getSubkeys().map((subkey) => hex(subkey.getKeyID())) };
}

/** Encrypts bytes with openpgp.js, to a public key or with a passphrase. */
export async function encryptBytes(
  bytes: Buffer,
  to: { publicKey: string } | { passphrase: string },
  options: { armored?: boolean } = {},
): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(bytes) });
  const keys = 'publicKey' in to ? { encryptionKeys: await openpgp.readKey({ armoredKey: to.publicKey }) } : { passwords: [to.passphrase] };
  if (options.armored) return Buffer.from(await openpgp.encrypt({ message, ...keys, format: 'armored' }), 'utf8');
  return Buffer.from(await openpgp.encrypt({ message, ...keys, format: 'binary' }));
}

/** A detached signature over bytes, binary or armored. */
export async function signDetached(bytes: Buffer, privateKey: string, options: { armored?: boolean } = {}): Promise<Buffer> {
  const message = await openpgp.createMessage({ binary: new Uint8Array(bytes) });
  const signingKeys = await openpgp.readPrivateKey({ armoredKey: privateKey });
  if (options.armored) return Buffer.from(await openpgp.sign({ message, signingKeys, detached: true, format: 'armored' }), 'utf8');
  return Buffer.from(await openpgp.sign({ message, signingKeys, detached: true, format: 'binary' }));
}
