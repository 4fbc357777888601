import { execFile } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { inject, injectable, optional } from 'inversify';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type { Decrypted, Decryptor } from '../../ports/decryptor.js';
import type { FileContext } from '../../ports/file-context.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import { GnuPgDecryptor } from './gnupg-decryptor.js';
import { OpenPgpDecryptor } from './openpgp-decryptor.js';

const execFileAsync = promisify(execFile);

/**
 * Source files from this size on are decrypted by gpg. Starting a gpg child costs more than
 * openpgp.js spends on a small file; on a large one gpg decrypts about 6x faster, on the other core.
 */
export const AUTO_GNUPG_MIN_BYTES = 2 * 1024 * 1024;

/**
 * `decryption.engine: auto`: each file goes to the engine that is faster for
 * its size, openpgp.js in process below {@link AUTO_GNUPG_MIN_BYTES}, GnuPG from there on. Both
 * keep the same guarantees (integrity and signature verdict before commit, the same messages,
 * the same limits). Where `gpg` cannot be run, openpgp.js decrypts every file and a warning
 * says so once; `engine: gnupg` set explicitly fails instead.
 */
@injectable()
export class AutoDecryptor implements Decryptor {
  private readonly openpgp: OpenPgpDecryptor;
  private gnupg?: GnuPgDecryptor;
  private gnupgRuns?: Promise<boolean>;
  /** The gpg engine's logger: the job's, less the key warnings the openpgp.js keyring already gave. */
  private readonly gnupgLogger: Logger;

  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.SecretResolver) private readonly secrets: SecretResolver,
    @inject(TYPES.Logger) @optional() private readonly logger: Logger = silentLogger,
  ) {
    this.openpgp = new OpenPgpDecryptor(provider, secrets, logger);
    this.gnupgLogger = {
      debug: (message, fields) => logger.debug(message, fields),
      info: (message, fields) => logger.info(message, fields),
      warn: (message, fields) => {
        if (fields?.['key'] === undefined) logger.warn(message, fields);
      },
      error: (message, fields) => logger.error(message, fields),
    };
  }

  /**
   * Loads the keys when the job starts, as `openpgp` does: a key that cannot be used is warned
   * about once, before any file, and a job with none that can fails at once. gpg's home is made
   * only when the first file of 2 MiB or more arrives.
   */
  async prepare(): Promise<void> {
    await this.openpgp.prepare();
  }

  async decrypt(input: Readable, context: FileContext): Promise<Decrypted> {
    if (context.file.size >= AUTO_GNUPG_MIN_BYTES && (await this.canRunGnuPg())) {
      this.gnupg ??= new GnuPgDecryptor(this.provider, this.secrets, this.gnupgLogger);
      return this.gnupg.decrypt(input, context);
    }
    return this.openpgp.decrypt(input, context);
  }

  async close(): Promise<void> {
    await this.gnupg?.close();
  }

  /** Whether `gpg` runs here, asked once per job; a machine without it is told how to get the faster engine. */
  private canRunGnuPg(): Promise<boolean> {
    this.gnupgRuns ??= execFileAsync('gpg', ['--version'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C' } }).then(
      () => true,
      () => {
        this.logger.warn(
          `provider ${this.provider.name}: gpg cannot be run, so openpgp.js decrypts every file (slower on large files); install GnuPG 2.2 or later (the gnupg package), or set decryption.engine: openpgp to keep it and silence this`,
          { provider: this.provider.name },
        );
        return false;
      },
    );
    return this.gnupgRuns;
  }
}
