import { describe, expect, it } from 'vitest';
import { GnuPgVerdict, type GnuPgOffer } from './gnupg-verdict.js';

const offer: GnuPgOffer = {
  provider: 'acme',
  identities: [{ primary: 'AAAAAAAAAAAAAAAA', subkeys: ['BBBBBBBBBBBBBBBB'] }],
  unusable: [{ index: 1, ref: 'file:old.asc', reason: 'the passphrase env:OLD does not unlock it', keyIds: ['CCCCCCCCCCCCCCCC', 'DDDDDDDDDDDDDDDD'] }],
  passphraseRef: 'env:PASS',
  hasPassphrase: true,
};

/** Feeds status lines as gpg writes them (without the `[GNUPG:] ` prefix) and stderr lines. */
function verdictOf(status: string[], stderr: string[] = []): GnuPgVerdict {
  const verdict = new GnuPgVerdict();
  for (const line of status) {
    const [keyword = '', ...args] = line.split(' ');
    verdict.status(keyword, args);
  }
  for (const line of stderr) verdict.stderr(line);
  return verdict;
}

describe(GnuPgVerdict, () => {
  it('should succeed only with DECRYPTION_OKAY, GOODMDC and exit 0', () => {
    const good = ['NEED_PASSPHRASE_SYM 9 3 2', 'BEGIN_DECRYPTION', 'DECRYPTION_INFO 2 9 0', 'PLAINTEXT 62 0 x', 'DECRYPTION_OKAY', 'GOODMDC', 'END_DECRYPTION'];
    expect(verdictOf(good).succeeded(0)).toBe(true);
    expect(verdictOf(good).succeeded(2)).toBe(false);
    expect(verdictOf(good.filter((l) => l !== 'GOODMDC')).succeeded(0)).toBe(false);
    expect(verdictOf([...good, 'BADMDC']).succeeded(0)).toBe(false);
  });

  it('when gpg says the key for the message is one set aside, should name that key and why', () => {
    const verdict = verdictOf(['ENC_TO DDDDDDDDDDDDDDDD 1 0', 'NO_SECKEY DDDDDDDDDDDDDDDD', 'BEGIN_DECRYPTION', 'DECRYPTION_FAILED', 'END_DECRYPTION']);
    expect(verdict.failure('f.gpg', offer, 2).message).toBe(
      'f.gpg is encrypted to key DDDDDDDDDDDDDDDD, which is decryption.privateKeys[1] (file:old.asc) of provider acme, but that key could not be loaded: the passphrase env:OLD does not unlock it',
    );
  });

  it('when the message is to keys we lack, should list them and ours', () => {
    const verdict = verdictOf(['ENC_TO 1111111111111111 1 0', 'ENC_TO 2222222222222222 18 0', 'NO_SECKEY 1111111111111111', 'NO_SECKEY 2222222222222222', 'DECRYPTION_FAILED']);
    expect(verdict.failure('f.gpg', offer, 2).message).toMatch(/^f\.gpg is encrypted to key 1111111111111111, 2222222222222222, but provider acme has AAAAAAAAAAAAAAAA \(subkey BBBBBBBBBBBBBBBB\); decryption\.privateKeys\[1\]/);
  });

  it('should tell a bad passphrase, a missing one, tampering and truncation apart', () => {
    const sym = ['NEED_PASSPHRASE_SYM 9 3 2', 'BEGIN_DECRYPTION', 'DECRYPTION_INFO 2 9 0'];
    expect(verdictOf([...sym, 'ERROR symkey_decrypt.maybe_error 11_BAD_PASSPHRASE', 'DECRYPTION_FAILED']).failure('f.gpg', offer, 2).message).toContain(
      'and decryption.passphrase (env:PASS) of provider acme is not the one it was encrypted with',
    );
    expect(verdictOf([...sym, 'DECRYPTION_FAILED']).failure('f.gpg', { ...offer, hasPassphrase: false }, 2).message).toContain('but provider acme has no usable decryption.passphrase');
    expect(verdictOf([...sym, 'PLAINTEXT 62 0 x', 'BADMDC', 'DECRYPTION_FAILED']).failure('f.gpg', offer, 2).message).toContain('failed its integrity check');
    expect(verdictOf([...sym, 'PLAINTEXT 62 0 x', 'BADMDC', 'DECRYPTION_FAILED'], ['gpg: problem reading source (100038 bytes remaining)']).failure('f.gpg', offer, 2).message).toContain(
      'ends before its OpenPGP message does',
    );
  });

  it('should never keep a stderr line, only what it means', () => {
    const verdict = verdictOf(['DECRYPTION_FAILED'], ['gpg: encrypted with 2048-bit RSA key, ID 9373A933900588F3, created 2026-12-01 "Secret Name <secret@example.com>"']);
    expect(verdict.failure('f.gpg', offer, 2).message).toBe('f.gpg is not a readable OpenPGP message (gpg ended with exit code 2): ask the partner to send it again');
  });
});
