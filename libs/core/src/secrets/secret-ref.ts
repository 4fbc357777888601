import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OctoError } from '../errors/octo-error.js';

/** A reference to a secret: `env:NAME` or `file:PATH`. The value itself never appears in config. */
export type SecretRef = string & { readonly __secretRef?: true };

export const SECRET_REF_PATTERN = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;

/**
 * Resolves secret references at use. Relative `file:` paths are taken from `baseDir`
 * (the config file's folder). Error messages name the reference, never the value.
 */
export class SecretResolver {
  constructor(
    private readonly baseDir: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async resolve(ref: SecretRef): Promise<string> {
    return (await this.resolveBytes(ref)).toString('utf8');
  }

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
      const file = path.resolve(this.baseDir, ref.slice(5));
      try {
        return await readFile(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        throw new OctoError('secret', `secret ${ref} cannot be read (${code}): check that ${file} exists and is readable`, {
          cause: error,
          fatal: true,
        });
      }
    }
    throw new OctoError('secret', `"${ref}" is not a secret reference: use env:NAME or file:PATH`, { fatal: true });
  }
}
