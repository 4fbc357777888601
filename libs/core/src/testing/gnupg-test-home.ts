import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway GnuPG home for making test fixtures with real `gpg` (tests only): keys of the
 * kinds partners use, messages encrypted by gpg's own options, and gpg's own decryption as the
 * reference output. Passphrases are passed as loopback arguments here, which is fine for test keys.
 */
export class GnuPgTestHome {
  private constructor(readonly dir: string) {}

  static async create(): Promise<GnuPgTestHome> {
    // Short, so gpg-agent's socket path stays under the 108-byte limit.
    return new GnuPgTestHome(await mkdtemp(path.join(tmpdir(), 'octo-gpgt-')));
  }

  /** Runs gpg in this home (batch, loopback pinentry) and returns its stdout. */
  async gpg(args: readonly string[], input?: Buffer): Promise<Buffer> {
    const child = run('gpg', ['--homedir', this.dir, '--batch', '--yes', '--no-tty', '--pinentry-mode', 'loopback', ...args], {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (input !== undefined) child.child.stdin?.end(input);
    const { stdout } = await child;
    return stdout;
  }

  /**
   * A key whose encryption subkey is `algorithm` (rsa2048, cv25519, nistp384, brainpoolP512r1,
   * secp256k1, elg2048, ...) under an ed25519 primary; returns its fingerprint.
   */
  async addKey(email: string, algorithm: string, passphrase = ''): Promise<string> {
    await this.gpg(['--passphrase', passphrase, '--quick-gen-key', `Partner <${email}>`, 'ed25519', 'sign', 'never']);
    const fingerprint = await this.fingerprint(email);
    await this.gpg(['--passphrase', passphrase, '--quick-add-key', fingerprint, algorithm, 'encr', 'never']);
    return fingerprint;
  }

  async fingerprint(email: string): Promise<string> {
    const listing = (await this.gpg(['--with-colons', '--list-keys', email])).toString('utf8');
    const line = listing.split('\n').find((l) => l.startsWith('fpr:'));
    if (!line) throw new Error(`no key for ${email}`);
    return line.split(':')[9] ?? '';
  }

  /** The armored secret key (with its subkeys). */
  async exportSecret(email: string, passphrase = ''): Promise<string> {
    return (await this.gpg(['--passphrase', passphrase, '--armor', '--export-secret-keys', email])).toString('utf8');
  }

  /** Encrypts `input` with gpg and these options (e.g. `-c --cipher-algo CAST5`, `-e -r x@y`). */
  async encrypt(args: readonly string[], input: Buffer, passphrase = ''): Promise<Buffer> {
    return this.gpg(['--passphrase', passphrase, '--trust-model', 'always', ...args], input);
  }

  /** What `gpg --decrypt` writes to stdout on this machine: the reference bytes. */
  async decrypt(message: Buffer, passphrase = ''): Promise<Buffer> {
    return this.gpg(['--passphrase', passphrase, '--decrypt'], message);
  }

  async dispose(): Promise<void> {
    try {
      execFileSync('gpgconf', ['--homedir', this.dir, '--kill', 'all'], { stdio: 'ignore' });
    } catch {
      // The agent may never have started.
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
