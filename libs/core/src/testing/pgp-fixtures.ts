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

/**
 * A private key whose encryption subkey names a curve no OpenPGP implementation knows, made by
 * changing one byte of a fresh Curve25519 key's subkey OID (tests only): readers drop that subkey.
 */
export async function keyWithUnknownCurve(): Promise<string> {
  const { privateKey } = await generateTestKey('unknown curve');
  const { data } = await openpgp.unarmor(privateKey);
  const bytes = Buffer.from(data as Uint8Array);
  // 1.3.6.1.4.1.3029.1.5.1 (Curve25519 for ECDH), as it is encoded in the subkey packet.
  const oid = Buffer.from([0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01]);
  const at = bytes.indexOf(oid);
  if (at < 0) throw new Error('the generated key has no Curve25519 ECDH subkey');
  bytes[at + oid.length - 1] = 0x09;
  return openpgp.armor(openpgp.enums.armor.privateKey, bytes);
}
