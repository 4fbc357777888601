import type { Duplex, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { inject, injectable, optional } from 'inversify';
import { OctoError } from '../errors/octo-error.js';
import { TYPES, type ProviderContext } from '../ports/identifiers.js';
import type { Ledger, LedgerRecord, ResendOf, SupersededRecord } from '../ports/ledger.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { ObjectStore, StagedObject, Staging } from '../ports/object-store.js';
import type { RemoteFile, RemoteSource } from '../ports/remote-source.js';
import type { Decryptor } from '../ports/decryptor.js';
import type { FileContext } from '../ports/file-context.js';
import type { FileHandler } from '../ports/file-handler.js';
import { mergeProvenance, type FileProvenance } from '../ports/file-provenance.js';
import type { Router } from '../ports/router.js';
import type { SignatureVerifier } from '../ports/signature-verifier.js';
import type { UnpackedEntry, Unpacker } from '../ports/unpacker.js';
import type { EntryTransform } from '../ports/entry-transform.js';
import { BoundedOutput, ByteCounter, UnpackBudget } from '../streams/byte-limit.js';
import { chain } from '../streams/chain.js';
import { DigestStream } from '../streams/digest-stream.js';
import { decryptedName, planLayers } from '../rules/layers.js';
import { sourceIdentity } from '../rules/source-path.js';
import { CommitIntents, commitWithIntent, intentFor } from './commit-intent.js';
import { KeyOwnership, type OwnedKey } from './key-ownership.js';
import { StageClock } from './stage-clock.js';
import { ConfiguredEntryStages } from '../transform/configured-entry-stages.js';
import { ResendDetector } from '../resend/resend-detector.js';

/** Largest detached signature accepted. */
const MAX_SIGNATURE_BYTES = 64 * 1024;

/** What processing one file produced. */
export interface ProcessedFile {
  readonly sha256: string;
  readonly bytesIn: number;
  readonly outputs: readonly StagedObject[];
  /** Which keys decrypted and signed it (as its ledger record keeps them). */
  readonly provenance?: FileProvenance;
  /** The same bytes landed before under another path; with `resend: skip`, `outputs` is empty. */
  readonly resendOf?: ResendOf;
}

/**
 * One source file through the whole chain: open, decrypt, unpack, route, stage, and only
 * when every stage ended cleanly (integrity and signature checks included) commit the
 * outputs through a commit intent and write the ledger record. On any failure every staged
 * output is aborted, and a commit that cannot finish is rolled back.
 */
@injectable()
export class FileProcessor {
  constructor(
    @inject(TYPES.RemoteSource) private readonly source: RemoteSource,
    @inject(TYPES.ObjectStore) private readonly store: ObjectStore,
    @inject(TYPES.Ledger) private readonly ledger: Ledger,
    @inject(TYPES.SignatureVerifier) private readonly signatures: SignatureVerifier,
    @inject(TYPES.Decryptor) private readonly decryptor: Decryptor,
    @inject(TYPES.Unpacker) private readonly unpacker: Unpacker,
    @inject(TYPES.Router) private readonly router: Router,
    @inject(TYPES.FileHandler) private readonly handler: FileHandler,
    @inject(KeyOwnership) private readonly ownership: KeyOwnership,
    @inject(TYPES.ProviderContext) private readonly provider: ProviderContext,
    @inject(TYPES.EntryTransform) private readonly entryTransform: EntryTransform,
    @inject(TYPES.Logger) @optional() logger: Logger = silentLogger,
  ) {
    this.intents = new CommitIntents(store, { batchDrops: true });
    this.configuredStages = new ConfiguredEntryStages(provider.config);
    this.resends = new ResendDetector(store, provider.name, provider.config.resend, logger);
  }

  private readonly intents: CommitIntents;
  /** The provider's `transform:` and `validate:` blocks. */
  private readonly configuredStages: ConfiguredEntryStages;
  private readonly resends: ResendDetector;

  /** Loads what the stages need for the whole job (keys, secrets) before the first file; a missing secret fails here. */
  async prepare(): Promise<void> {
    await this.decryptor.prepare?.();
  }

  /** Told the run's new files before the first starts: resend lookups may then be answered from one listing. */
  async expect(files: readonly RemoteFile[]): Promise<void> {
    await this.resends.expect(files.length);
  }

  /** Releases what the stages hold for the job (the decryption engine's resources), once the intents of landed files are dropped. */
  async close(): Promise<void> {
    this.resends.endRun();
    await this.intents.flush();
    await this.decryptor.close?.();
  }

  /** Processes one file; `clock` receives each stage's time and bytes (see {@link StageClock}), failed files included. */
  async process(file: RemoteFile, context: Omit<FileContext, 'signature'>, onBytes: (bytes: number) => void, clock = new StageClock()): Promise<ProcessedFile> {
    refuseListed(file);
    const plan = planLayers(baseName(file.path));
    const signature = file.signaturePath ? await this.source.readSmall(file.signaturePath, MAX_SIGNATURE_BYTES, file.signatureRawPath) : undefined;
    const budget = new UnpackBudget(this.provider.limits.maxUnpackedBytes);
    const fileContext: FileContext = { ...context, signature, budget };
    const staging = this.store.begin({ runId: context.jobId });
    // The keys this file claimed; released if it fails before its outputs became visible.
    const owned: OwnedKey[] = [];
    const earlier = this.earlierDeliveries(file, context.provider);
    let committed = false;
    let raw: Readable | undefined;
    const abortListener = () => raw?.destroy(new OctoError('cancelled', `${file.path}: the job was cancelled`));
    try {
      clock.start('read');
      raw = await this.source.open(file, { signal: context.signal });
      const digest = new DigestStream((total, delta) => {
        clock.add('read', delta);
        onBytes(total);
      });
      // A cancel destroys the stream while nothing may be reading it yet (a key claim in
      // flight): its consumers still see the error, but it must not crash the process.
      digest.on('error', () => undefined);
      context.signal?.addEventListener('abort', abortListener, { once: true });
      raw.on('error', (error) => digest.destroy(error));
      raw.pipe(digest);

      const signed = await this.signatures.verify(digest, fileContext);
      let plaintext: Readable = signed.stream;
      const checks: Promise<FileProvenance | void>[] = [signed.verified];
      if (plan.layers[0] === 'pgp') {
        // The ratio is measured against the ciphertext the decryptor has taken, not what was read.
        const ciphertext = new ByteCounter();
        clock.start('decrypt');
        const decrypted = await this.decryptor.decrypt(chain(signed.stream, ciphertext), fileContext);
        plaintext = this.boundDecrypted(decrypted.stream, budget, () => ciphertext.bytes, file.path, (bytes) => clock.add('decrypt', bytes));
        checks.push(decrypted.verified);
      }

      // Entry name -> what it was staged as, in arrival order.
      const staged = new Map<string, StagedObject>();
      const keys = new Set<string>();
      const metadata = {
        'octo-provider': context.provider,
        'octo-source-path': encodeURIComponent(file.path),
        'octo-source-size': String(file.size),
        'octo-source-mtime': new Date(file.mtimeMs).toISOString(),
        'octo-job-id': context.jobId,
      };
      // The provider's handling of this one file: whatever it learns about the file stays in it.
      const handling = this.handler.begin(fileContext);
      clock.start('unpack');
      for await (const peeled of this.unpacker.unpack(plaintext, decryptedName(baseName(file.path)), fileContext)) {
        const unpacked = { name: peeled.name, stream: chain(peeled.stream, clock.meter('unpack')) };
        const kept = handling.entry ? handling.entry(unpacked) : unpacked;
        const entry = kept && this.throughEntryStages(kept, fileContext, clock);
        if (!entry) {
          unpacked.stream.resume();
          await finished(unpacked.stream);
          continue;
        }
        const routed = this.router.route(entry, fileContext);
        if (keys.has(routed)) {
          throw new OctoError('route', `${file.path}: two entries would land at the same key ${routed}; rename one in the archive or change the folder rule`);
        }
        keys.add(routed);
        const { key, ifAbsent } = await this.claimOutputKey(routed, file, context.jobId, owned, earlier);
        if (key !== routed && keys.has(key)) {
          throw new OctoError('route', `${file.path}: two entries would land at the same key ${key}; rename one in the archive or change the folder rule`);
        }
        keys.add(key);
        staged.set(entry.name, await clock.time('store', () => staging.put(key, entry.stream, metadata, { ifAbsent }), (object) => object.size));
      }
      // Drain whatever trails the last entry (tar padding, the integrity tag) so checks run.
      if (!plaintext.readableEnded) {
        plaintext.resume();
        await finished(plaintext);
      }
      const provenance = mergeProvenance(await Promise.all(checks));
      await finished(digest);

      // The provider's last word on the file as a whole (e.g. a manifest it must match).
      const entries = [...staged].map(([name, object]) => ({ name, ...object }));
      for (const name of handling.finish?.(entries) ?? []) {
        const object = staged.get(name);
        if (object) await staging.discard(object.key);
        staged.delete(name);
      }
      const landed = [...staged.values()];
      if (digest.bytes !== file.size) {
        throw new OctoError('source', `${file.path}: read ${digest.bytes} bytes but the source listed ${file.size}; the file changed or the transfer was cut, it will be retried next run`);
      }
      if (context.signal?.aborted) throw new OctoError('cancelled', `${file.path}: the job was cancelled`);
      const sha256 = digest.digest();
      const resendOf = await this.resends.resendOf(file, sha256);
      if (resendOf?.policy === 'skip') return await this.skipResend(staging, owned, file, context.jobId, sha256, resendOf);
      const supersedes = supersededBy((await earlier()).at(-1));
      // Tells the catch below whether outputs may be visible (claims must then stay).
      const progress = { visible: false };
      try {
        const visibleBytes = landed.reduce((sum, object) => sum + object.size, 0);
        await clock.time('commit', () => this.commit(staging, file, context.provider, context.jobId, sha256, { supersedes, provenance, resendOf }, progress), () => visibleBytes);
      } finally {
        committed = progress.visible;
      }
      this.ownership.settle(owned);
      if (!resendOf) await this.resends.remember(file, sha256, context.jobId);
      return { sha256, bytesIn: digest.bytes, outputs: landed, ...(provenance ? { provenance } : {}), ...(resendOf ? { resendOf } : {}) };
    } catch (error) {
      raw?.destroy();
      await staging.abort().catch(() => undefined);
      // Once outputs are visible their claims must stay, or another source could take the keys.
      if (committed) this.ownership.settle(owned);
      else await this.ownership.release(owned).catch(() => undefined);
      if (context.signal?.aborted) throw abortedFileError(file.path, context.signal.reason, error);
      throw namingSource(OctoError.wrap('internal', error, file.path), file.path);
    } finally {
      context.signal?.removeEventListener('abort', abortListener);
    }
  }

  /**
   * The validate-and-transform stage of one entry: the config's rewrites, the plugin's
   * {@link EntryTransform}, the config's checks, in that order, as one stream; metered as
   * `transform` when any applies. A check that fails errors the stream, so its put fails the file.
   */
  private throughEntryStages(entry: UnpackedEntry, context: FileContext, clock: StageClock): UnpackedEntry {
    const own = this.entryTransform.transform(entry, context);
    const stages = [...this.configuredStages.before(entry), ...(own === undefined ? [] : Array.isArray(own) ? own : [own as Duplex]), ...this.configuredStages.after(entry, context)];
    if (stages.length === 0) return entry;
    clock.start('transform');
    return { name: entry.name, stream: chain(entry.stream, ...stages, clock.meter('transform')) };
  }

  /**
   * OpenPGP's own compression is a decompression layer like gzip: the decrypted bytes are charged
   * to the file's budget, and their ratio to the ciphertext the decryptor has taken checked, as they flow;
   * `onPassed` meters the decrypt stage in the same hop.
   */
  private boundDecrypted(decrypted: Readable, budget: UnpackBudget, ciphertextBytes: () => number, path: string, onPassed: (bytes: number) => void): Readable {
    const what = `${path} (decrypted)`;
    return chain(decrypted, new BoundedOutput(budget, ciphertextBytes, this.provider.limits.maxCompressionRatio, what, onPassed));
  }

  /**
   * Commits through an intent (see {@link commitWithIntent}): intent, outputs, tags and
   * completion marker, ledger record, drop; visible and recorded, or rolled back, never half.
   */
  private async commit(
    staging: Staging,
    file: RemoteFile,
    provider: string,
    jobId: string,
    sha256: string,
    about: { supersedes?: SupersededRecord; provenance?: FileProvenance; resendOf?: ResendOf },
    progress: { visible: boolean },
  ): Promise<void> {
    const source = { path: file.path, ...rawPathOf(file), size: file.size, mtimeMs: file.mtimeMs, sha256 };
    const intent = intentFor(provider, jobId, source, staging, about.supersedes, about.provenance, about.resendOf);
    await commitWithIntent(this.intents, this.ledger, this.store, staging, intent, progress);
  }

  /**
   * A resend under `resend: skip`: nothing of it lands (its staged outputs and key claims go),
   * and a ledger record without outputs says so, so the next run does not read it again.
   */
  private async skipResend(staging: Staging, owned: OwnedKey[], file: RemoteFile, jobId: string, sha256: string, resendOf: ResendOf): Promise<ProcessedFile> {
    await staging.abort();
    await this.ownership.release(owned);
    owned.length = 0;
    const record: LedgerRecord = {
      provider: this.provider.name,
      path: file.path,
      ...rawPathOf(file),
      size: file.size,
      mtimeMs: file.mtimeMs,
      sha256,
      outputs: [],
      jobId,
      ingestedAt: new Date().toISOString(),
      resendOf,
    };
    await this.ledger.record(record);
    return { sha256, bytesIn: file.size, outputs: [], resendOf };
  }

  /**
   * The key an output may be staged at (the routed key, or keep-both's; a conflict under `fail`
   * throws), claimed; `ifAbsent` when no source owned it before, so the commit cannot replace
   * an object Octo never claimed (a resend may replace what its own pre-ownership record lists).
   */
  private async claimOutputKey(routed: string, file: RemoteFile, jobId: string, owned: OwnedKey[], earlier: () => Promise<EarlierDelivery[]>): Promise<{ key: string; ifAbsent: boolean }> {
    const claimed = await this.ownership.claimOutput(routed, sourceIdentity(file), jobId);
    owned.push(claimed);
    const ifAbsent = claimed.created && !claimed.tookOver && !(await earlier()).some(({ record }) => record.outputs.some((output) => output.key === claimed.key));
    return { key: claimed.key, ifAbsent };
  }

  /** The earlier deliveries of this source path (other size or mtime) in the ledger, oldest first; read once per file, when first needed. */
  private earlierDeliveries(file: RemoteFile, provider: string): () => Promise<EarlierDelivery[]> {
    let found: Promise<EarlierDelivery[]> | undefined;
    return () =>
      (found ??= recordsOfPath(this.ledger, provider, file).then((records) => records.filter(({ record }) => record.size !== file.size || record.mtimeMs !== file.mtimeMs)));
  }
}

/** Every record of the file's source path; answered from discovery's listing where the ledger can (see {@link Ledger.recordsOfListed}). */
function recordsOfPath(ledger: Ledger, provider: string, file: RemoteFile): Promise<Array<{ readonly key: string; readonly record: LedgerRecord }>> {
  return ledger.recordsOfListed ? ledger.recordsOfListed(provider, file) : ledger.recordsFor(provider, sourceIdentity(file));
}

/** A ledger record of an earlier delivery of the same source path, with its ledger key. */
interface EarlierDelivery {
  readonly key: string;
  readonly record: LedgerRecord;
}

/** A resend's `supersedes`: the latest earlier delivery of its source path. */
function supersededBy(earlier: EarlierDelivery | undefined): SupersededRecord | undefined {
  if (!earlier) return undefined;
  const { record } = earlier;
  return { record: earlier.key, size: record.size, mtimeMs: record.mtimeMs, sha256: record.sha256, jobId: record.jobId };
}

/** A store's errors speak of keys; whoever reads the failure also needs the source file. */
function namingSource(error: OctoError, path: string): OctoError {
  if (error.kind !== 'store' || error.message.startsWith(path)) return error;
  return new OctoError(error.kind, `${path}: ${error.message}`, { cause: error.cause ?? error, fatal: error.fatal });
}

/** A file the source listed as refused (a symbolic link, a name that reads like another's) fails before it is opened. */
function refuseListed(file: RemoteFile): void {
  if (file.refused !== undefined) throw new OctoError('unsafe', `${file.path} ${file.refused}`);
}

/** The ledger keeps a name's exact bytes when they are not UTF-8. */
function rawPathOf(file: RemoteFile): { rawPath?: string } {
  return file.rawPath === undefined ? {} : { rawPath: file.rawPath };
}

function baseName(remotePath: string): string {
  const parts = remotePath.split('/');
  return parts[parts.length - 1] ?? remotePath;
}

/**
 * A file stopped mid-way: `cancelled` only when someone cancelled; when another file's fatal
 * error stopped the job (the abort's reason), the file is named as stopped by it instead.
 */
function abortedFileError(path: string, reason: unknown, cause: unknown): OctoError {
  if (OctoError.is(reason) && reason.fatal) {
    return new OctoError(reason.kind, `${path}: not finished: the job stopped on an error that affects every file (${reason.kind}, see the job's error); nothing from this file was landed, and the next run takes it again`, { cause });
  }
  return new OctoError('cancelled', `${path}: the job was cancelled; nothing from this file was landed`, { cause });
}
