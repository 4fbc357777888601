import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OctoError } from '../errors/octo-error.js';

/** A reference to a secret: `env:NAME` or `file:PATH`. The value itself never appears in config. */
export type SecretRef = string & { readonly __secretRef?: true };

export const SECRET_REF_PATTERN = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;

/**
 * Resolves secret references at use. Relative `file:` paths are taken from `baseDir`
 * (the config file's folder). Error messages name the reference, never the value nor a local path.
 *
 * Two readings, by what the secret is:
 * - {@link resolve} / {@link resolveBytes}: the whole value, for keys and other multi-line secrets.
 * - {@link resolvePassphrase}: a passphrase or password. A `file:` passphrase follows GnuPG's
 *   `--passphrase-file` convention: its first line, without the line's `\n` or `\r\n`, so a file
 *   written with `echo` works. An `env:` value is taken as it is.
 */
export class SecretResolver {
  constructor(
    private readonly baseDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** The whole secret as UTF-8 text (an armored key, a certificate). */
  async resolve(ref: SecretRef): Promise<string> {
    return (await this.resolveBytes(ref)).toString('utf8');
  }

  /**
   * A passphrase or password: for `file:`, the first line of the file without its line ending
   * (GnuPG's `--passphrase-file` convention); for `env:`, the variable's value. An empty
   * passphrase is refused, since it is never what was meant.
   */
  async resolvePassphrase(ref: SecretRef): Promise<string> {
    const value = (await this.resolveBytes(ref)).toString('utf8');
    if (!ref.startsWith('file:')) return value;
    const newline = value.indexOf('\n');
    const line = newline === -1 ? value : value.slice(0, newline).replace(/\r$/, '');
    if (line === '') {
      throw new OctoError('secret', `secret ${ref} starts with an empty line: a passphrase file holds the passphrase on its first line`, { fatal: true });
    }
    return line;
  }

  /** The whole secret as bytes (a private key file, byte for byte). */
  async resolveBytes(ref: SecretRef): Promise<Buffer> {
    if (ref.startsWith('env:')) {
      const name = ref.slice(4);
      const value = this.env[name];
      if (value === undefined || value === '') {
        throw new OctoError('secret', `secret ${ref} is not set: export ${name} in the environment that runs octo`, { fatal: true });
      }
      return Buffer.from(value, 'utf8');
    }
    if (ref.startsWith('file:')) {
      const given = ref.slice(5);
      try {
        return await readFile(path.resolve(this.baseDir, given));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        // The reference, not the resolved absolute path: messages reach people who are not on this host.
        const where = path.isAbsolute(given) ? 'check that the file exists' : "check that the file exists (relative paths are taken from the config file's folder)";
        throw new OctoError('secret', `secret ${ref} cannot be read (${code}): ${where} and is readable by the user that runs octo`, {
          cause: error,
          fatal: true,
        });
      }
    }
    throw new OctoError('secret', `"${ref}" is not a secret reference: use env:NAME or file:PATH`, { fatal: true });
  }
}
