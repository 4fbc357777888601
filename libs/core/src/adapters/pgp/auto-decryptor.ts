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

  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.SecretResolver) private readonly secrets: SecretResolver,
    @inject(TYPES.Logger) @optional() private readonly logger: Logger = silentLogger,
  ) {
    this.openpgp = new OpenPgpDecryptor(provider, secrets, logger);
  }

  async decrypt(input: Readable, context: FileContext): Promise<Decrypted> {
    if (context.file.size >= AUTO_GNUPG_MIN_BYTES && (await this.canRunGnuPg())) {
      this.gnupg ??= new GnuPgDecryptor(this.provider, this.secrets, this.logger);
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
