import { PassThrough, type Readable } from 'node:stream';
import { inject, injectable, optional } from 'inversify';
import { OctoError } from '../../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import { silentLogger, type Logger } from '../../ports/logger.js';
import type { Decrypted, Decryptor } from '../../ports/decryptor.js';
import type { FileContext } from '../../ports/file-context.js';
import type { SecretResolver } from '../../secrets/secret-ref.js';
import { DecryptionFailure } from './decryption-failure.js';
import { RetiredKeyReporter } from './key-retirement.js';
import type { FileProvenance } from '../../ports/file-provenance.js';
import { GnuPgHome } from './gnupg-home.js';
import { spawnGnuPg, type GnuPgProcess } from './gnupg-process.js';
import { GnuPgVerdict, type GnuPgOffer } from './gnupg-verdict.js';
import { readOpenPgpInput } from './pgp-input.js';

/**
 * OpenPGP decryption by GnuPG itself (`decryption.engine: gnupg`): each file streams through a
 * `gpg --batch --decrypt` child on the provider's ephemeral home ({@link GnuPgHome}), so every
 * cipher, curve and literal mode gpg handles lands exactly as `gpg --decrypt` writes it.
 * Passphrases go through gpg's command fd when it asks, never its command line or environment;
 * the verdict comes from `--status-fd` ({@link GnuPgVerdict}) and fails with the same messages
 * as the openpgp.js engine. The child is killed when the job is cancelled or the reader gives up;
 * stderr is classified, never logged. {@link close} removes the home.
 */
@injectable()
export class GnuPgDecryptor implements Decryptor {
  private home?: Promise<GnuPgHome>;
  private readonly running = new Set<GnuPgProcess>();
  private readonly retired: RetiredKeyReporter;

  constructor(
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.SecretResolver) private readonly secrets: SecretResolver,
    @inject(TYPES.Logger) @optional() private readonly logger: Logger = silentLogger,
  ) {
    this.retired = new RetiredKeyReporter(provider.name, logger);
  }

  async decrypt(input: Readable, context: FileContext): Promise<Decrypted> {
    const home = await this.loadHome(context);
    const source = await readOpenPgpInput(input, context);
    const { path } = context.file;
    const verdict = new GnuPgVerdict();
    let lastAsked: string | undefined;
    let symmetric = false;
    const run = spawnGnuPg(
      home.dir,
      [
        '--no-symkey-cache',
        '--skip-verify',
        '--no-auto-key-retrieve',
        '--trust-model',
        'always',
        // OpenPGP's own compression is bounded by gpg as it writes (decompression bombs); the pipeline's
        // budget on the decrypted stream is the first check, this the backstop, as for openpgp.js.
        '--max-output',
        String(context.budget?.backstopBytes ?? this.provider.limits?.maxUnpackedBytes ?? 64 * 1024 ** 3),
        '--decrypt',
      ],
      {
        onStatus: (keyword, args, answer) => {
          verdict.status(keyword, args);
          if (keyword === 'NEED_PASSPHRASE_SYM') symmetric = true;
          if (keyword === 'NEED_PASSPHRASE') {
            symmetric = false;
            lastAsked = args[0];
          }
          if (keyword === 'GET_HIDDEN') answer((symmetric ? home.passphrase.value : home.passphraseFor(lastAsked)) ?? '');
          else if (keyword === 'GET_BOOL' || keyword === 'GET_LINE') answer('');
        },
        onStderr: (line) => verdict.stderr(line),
      },
    );
    this.running.add(run);

    const out = new PassThrough();
    const kill = () => {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    };
    const onAbort = () => kill();
    context.signal?.addEventListener('abort', onAbort, { once: true });
    source.stream.on('error', () => kill());
    source.stream.pipe(run.stdin);
    run.stdout.pipe(out);
    // A reader that gives up (a failed entry, a cancelled job) ends gpg too.
    out.on('close', () => {
      if (!out.readableEnded) kill();
    });

    const offer: GnuPgOffer = {
      provider: context.provider,
      identities: home.identities,
      unusable: home.unusable,
      passphraseRef: home.passphrase.ref,
      passphraseProblem: home.passphrase.problem,
      hasPassphrase: home.passphrase.value !== undefined,
    };
    const verified = run.exited.then(({ code, signal }) => {
      this.running.delete(run);
      context.signal?.removeEventListener('abort', onAbort);
      let error: OctoError | undefined;
      if (context.signal?.aborted) error = new OctoError('cancelled', `${path}: the job was cancelled`);
      // The source failing (a dropped transfer) is the reason to report, not gpg being stopped for it.
      else if (source.inputError() !== undefined) error = OctoError.wrap('source', source.inputError(), path);
      else if (signal) error = new OctoError('decrypt', `${path}: decryption stopped before the end of the message (gpg ended by ${signal})`);
      else if (verdict.hitOutputLimit()) {
        error = new OctoError('unsafe', `${path} unpacks to more than ${this.provider.limits?.maxUnpackedBytes} bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine`);
      } else if (!verdict.succeeded(code)) error = verdict.failure(path, offer, code);
      if (error) {
        if (!out.destroyed) out.destroy(error);
        throw error;
      }
      const decryptedBy = verdict.decryptedBy;
      if (!decryptedBy) return undefined;
      const retiredSince = this.retired.used(home.identities.find((key) => key.fingerprint === decryptedBy.fingerprint), path);
      return { decryptedBy: { ...decryptedBy, ...(retiredSince ? { retiredSince } : {}) } } satisfies FileProvenance;
    });
    verified.catch(() => undefined);
    return { stream: out, verified };
  }

  /** Kills any gpg still running and removes the provider's GnuPG home. */
  async close(): Promise<void> {
    for (const run of this.running) run.child.kill('SIGKILL');
    await Promise.all([...this.running].map((run) => run.exited));
    const home = this.home;
    this.home = undefined;
    if (home) await (await home.catch(() => undefined))?.dispose();
  }

  /** Makes the GnuPG home when the job starts, so a key or passphrase that cannot be used is known before any file. */
  async prepare(): Promise<void> {
    const config = this.provider.config.decryption;
    if (config.passphrase || config.privateKeys.length > 0) await this.loadHome();
  }

  private loadHome(context?: FileContext): Promise<GnuPgHome> {
    this.home ??= (async () => {
      const config = this.provider.config.decryption;
      if (!config.passphrase && config.privateKeys.length === 0) throw DecryptionFailure.notConfigured(context?.file.path ?? '', this.provider.name);
      const home = await GnuPgHome.create(config, this.secrets);
      for (const key of home.unusable) this.logger.warn(DecryptionFailure.keyWarning(this.provider.name, key), { provider: this.provider.name, key: key.ref });
      if (home.identities.length === 0 && home.passphrase.value === undefined) {
        await home.dispose();
        throw DecryptionFailure.nothingUsable(
          this.provider.name,
          home.unusable,
          home.passphrase.ref && home.passphrase.problem ? { ref: home.passphrase.ref, problem: home.passphrase.problem } : undefined,
        );
      }
      return home;
    })();
    this.home.catch(() => {
      this.home = undefined;
    });
    return this.home;
  }
}
