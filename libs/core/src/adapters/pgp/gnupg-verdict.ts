import type { OctoError } from '../../errors/octo-error.js';
import { DecryptionFailure, type KeyIdentity, type UnusableKey } from './decryption-failure.js';
import { pgpAlgorithms } from './pgp-algorithms.js';

/** What the provider had to offer, for the messages that name keys and passphrases. */
export interface GnuPgOffer {
  readonly provider: string;
  readonly identities: readonly KeyIdentity[];
  readonly unusable: readonly UnusableKey[];
  readonly passphraseRef?: string;
  readonly passphraseProblem?: string;
  readonly hasPassphrase: boolean;
}

const BAD_PASSPHRASE = 11;
/** libgpg-error codes that mean "this algorithm is not available here". */
const UNSUPPORTED_CODES = new Set([4 /* PUBKEY_ALGO */, 12 /* CIPHER_ALGO */, 69 /* NOT_IMPLEMENTED */, 149 /* UNKNOWN_CURVE */]);

/**
 * Reads one `gpg --decrypt` run's verdict from its status lines (`--status-fd`) and a few
 * classified stderr facts, and maps it to the same distinct failures the openpgp.js engine
 * gives. Success needs DECRYPTION_OKAY with GOODMDC (or an AEAD mode), no BADMDC, exit 0.
 */
export class GnuPgVerdict {
  readonly encTo: string[] = [];
  /** From DECRYPTION_KEY: the primary fingerprint of the key that decrypted, and the (sub)key id it used. */
  decryptedBy?: { fingerprint: string; keyId: string };
  readonly noSecretKey = new Set<string>();
  private symmetric = false;
  private symmetricBadPassphrase = false;
  private lastKeyAsked?: string;
  private keyBadPassphrase?: string;
  private cipher?: number;
  private aead = 0;
  private okay = false;
  private goodMdc = false;
  private badMdc = false;
  private failed = false;
  private plaintext = false;
  private unsupportedCode = false;
  private truncatedHint = false;
  private noIntegrityHint = false;
  private corruptHint = false;
  private outputLimitHint = false;
  private lastError?: string;

  status(keyword: string, args: readonly string[]): void {
    switch (keyword) {
      case 'DECRYPTION_KEY':
        // DECRYPTION_KEY <subkey fingerprint> <primary fingerprint> <trust>
        if (args[0] && args[1]) this.decryptedBy = { fingerprint: args[1].toUpperCase(), keyId: args[0].slice(-16).toUpperCase() };
        break;
      case 'ENC_TO':
        if (args[0]) this.encTo.push(args[0].toUpperCase());
        break;
      case 'NO_SECKEY':
        if (args[0]) this.noSecretKey.add(args[0].toUpperCase());
        break;
      case 'NEED_PASSPHRASE_SYM':
        this.symmetric = true;
        this.cipher = Number(args[0]);
        break;
      case 'NEED_PASSPHRASE':
        this.lastKeyAsked = args[0]?.toUpperCase();
        break;
      case 'DECRYPTION_INFO':
        this.cipher = Number(args[1]);
        this.aead = Number(args[2] ?? 0);
        break;
      case 'PLAINTEXT':
        this.plaintext = true;
        break;
      case 'DECRYPTION_OKAY':
        this.okay = true;
        break;
      case 'GOODMDC':
        this.goodMdc = true;
        break;
      case 'BADMDC':
        this.badMdc = true;
        break;
      case 'DECRYPTION_FAILED':
        this.failed = true;
        break;
      case 'ERROR': {
        const [where = '', code = ''] = args;
        this.lastError = `${where} ${code}`.trim();
        const errorCode = Number(code.split('_')[0]) & 0xffff;
        if (where.startsWith('symkey_decrypt') && errorCode === BAD_PASSPHRASE) this.symmetricBadPassphrase = true;
        else if (where === 'pkdecrypt_failed' && errorCode === BAD_PASSPHRASE) this.keyBadPassphrase = this.lastKeyAsked;
        else if (UNSUPPORTED_CODES.has(errorCode)) this.unsupportedCode = true;
        break;
      }
      default:
        break;
    }
  }

  /** Classifies a stderr line; the line itself is not kept. */
  stderr(line: string): void {
    if (/problem reading source|premature eof|unexpected eof|unexpected end|read error|invalid armor|pending bytes/i.test(line)) this.truncatedHint = true;
    if (/not integrity protected|no integrity/i.test(line)) this.noIntegrityHint = true;
    if (/inflate problem|uncompress|bzip2|decompress|invalid packet|zlib/i.test(line)) this.corruptHint = true;
    // What gpg says when --max-output stops it.
    if (/object is too large/i.test(line)) this.outputLimitHint = true;
  }

  /** True when gpg decrypted the whole message and its integrity check passed. */
  succeeded(exitCode: number | null): boolean {
    return exitCode === 0 && this.okay && (this.goodMdc || this.aead > 0) && !this.badMdc && !this.failed;
  }

  /** True when gpg stopped because `--max-output` was reached. */
  hitOutputLimit(): boolean {
    return this.outputLimitHint;
  }

  /** The failure for a run that did not succeed. */
  failure(path: string, offer: GnuPgOffer, exitCode: number | null): OctoError {
    const { provider } = offer;
    if (this.symmetric && !offer.hasPassphrase && !this.okay && this.encTo.length === 0) return DecryptionFailure.noPassphrase(path, provider, offer.passphraseProblem);
    if (this.symmetricBadPassphrase) return DecryptionFailure.wrongPassphrase(path, provider, offer.passphraseRef ?? 'decryption.passphrase');
    const asked = this.keyBadPassphrase;
    if (asked) {
      const key = offer.unusable.find((k) => k.keyIds.includes(asked));
      if (key) return DecryptionFailure.keyUnusable(path, provider, asked, key);
    }
    if (this.unsupportedCode && !this.plaintext) {
      const name = this.cipher !== undefined && this.cipher > 0 ? pgpAlgorithms.cipherName(this.cipher) : 'an algorithm this GnuPG does not have';
      return DecryptionFailure.unsupported(path, name);
    }
    if (this.encTo.length > 0 && !this.okay && !this.plaintext && !this.symmetric) {
      for (const id of this.encTo) {
        const key = offer.unusable.find((k) => k.keyIds.includes(id));
        if (key) return DecryptionFailure.keyUnusable(path, provider, id, key);
      }
      return DecryptionFailure.noMatchingKey(path, provider, this.encTo, offer.identities, offer.unusable, false);
    }
    if (this.truncatedHint) return DecryptionFailure.truncated(path);
    if (this.badMdc) return DecryptionFailure.tampered(path);
    if (this.noIntegrityHint) return DecryptionFailure.unsupported(path, 'encryption without integrity protection (no MDC), which Octo refuses as GnuPG does');
    if (this.plaintext || this.corruptHint) return DecryptionFailure.tampered(path);
    return DecryptionFailure.damaged(path, `gpg ended with exit code ${exitCode ?? 'none'}${this.lastError ? ` (${this.lastError})` : ''}`);
  }
}
