import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A system user made for one test file, with a password sshd checks through PAM. */
export interface LoginUser {
  readonly name: string;
  readonly password: string;
  /** Deletes the user again. */
  remove(): Promise<void>;
}

/**
 * Creates a throwaway system user (`useradd`, no home, `chpasswd`) so sshd's password and
 * keyboard-interactive logins can be tested for real: sshd checks passwords against the system's
 * accounts, and a test must not set the password of a real one. Needs root; remove it in afterAll.
 */
export async function createLoginUser(): Promise<LoginUser> {
  if (process.getuid?.() !== 0) {
    throw new Error('password login tests create a throwaway system user for sshd to check, and that needs root (run the tests as root, as CI does)');
  }
  const name = `octo-pw-${randomBytes(4).toString('hex')}`;
  // A password with a space and punctuation, as real ones have.
  const password = `pw ${randomBytes(9).toString('base64url')}!`;
  await run('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', name]);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = execFile('chpasswd', (error) => (error ? reject(error) : resolve()));
      child.stdin?.end(`${name}:${password}\n`);
    });
  } catch (error) {
    await run('userdel', [name]).catch(() => undefined);
    throw error;
  }
  return { name, password, remove: async () => void (await run('userdel', ['--force', name])) };
}
