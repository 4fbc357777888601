/**
 * OpenPGP algorithm ids (RFC 4880 / RFC 9580) and the names GnuPG prints for them, so both
 * decryption engines name an algorithm the same way in "unsupported: <algorithm>".
 */
export const pgpAlgorithms = {
  /** Symmetric ciphers, by id. */
  cipher: {
    1: 'IDEA',
    2: '3DES',
    3: 'CAST5',
    4: 'BLOWFISH',
    7: 'AES128',
    8: 'AES192',
    9: 'AES256',
    10: 'TWOFISH',
    11: 'CAMELLIA128',
    12: 'CAMELLIA192',
    13: 'CAMELLIA256',
  } as Record<number, string>,
  /** Public-key algorithms, by id. */
  publicKey: {
    1: 'RSA',
    2: 'RSA (encrypt only)',
    3: 'RSA (sign only)',
    16: 'ElGamal',
    17: 'DSA',
    18: 'ECDH',
    19: 'ECDSA',
    20: 'ElGamal (encrypt or sign)',
    22: 'EdDSA',
    25: 'X25519',
    26: 'X448',
  } as Record<number, string>,
  /** AEAD modes, by id. */
  aead: { 1: 'EAX', 2: 'OCB', 3: 'GCM' } as Record<number, string>,

  /** The name of a cipher id, or `cipher <id>` when it has none. */
  cipherName(id: number): string {
    return pgpAlgorithms.cipher[id] ?? `cipher ${id}`;
  },
  /** The name of a public-key algorithm id, or `public-key algorithm <id>`. */
  publicKeyName(id: number): string {
    return pgpAlgorithms.publicKey[id] ?? `public-key algorithm ${id}`;
  },
};
