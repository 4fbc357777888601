import { pipeline } from 'node:stream';
import { OctoError, type FileContext, type FileHandling, type Logger, type StagedEntry, type UnpackedEntry } from '@octo/core';
import { MAX_MANIFEST_BYTES, type GlobexPayrollSettings } from './globex-payroll-settings.js';
import { ManifestCapture } from './manifest-capture.js';
import { parsePayrollBundleName } from './payroll-bundle-name.js';
import { parsePayrollManifest } from './payroll-manifest.js';

/**
 * One bundle's handling. Every entry is staged as it streams past, and its name recorded; the
 * manifest's bytes are copied as they pass (bounded), since it may come before or after the
 * payslips. At the end, the entries it does not list are dropped, and a listed file missing
 * from the bundle or unlike its stated sha256 (or no manifest, or one for another week) fails it.
 */
export class PayrollBundleHandling implements FileHandling {
  private readonly entries: string[] = [];
  private manifest?: Buffer;
  private captureFailure?: Error;

  constructor(
    private readonly settings: GlobexPayrollSettings,
    private readonly logger: Logger,
    private readonly context: FileContext,
  ) {}

  entry(entry: UnpackedEntry): UnpackedEntry | undefined {
    const path = this.context.file.path;
    this.entries.push(entry.name);
    if (entry.name !== this.settings.manifest) return entry;
    if (this.entries.indexOf(entry.name) !== this.entries.length - 1) {
      entry.stream.destroy();
      throw new OctoError('filter', `${path} holds ${entry.name} twice, so which payslips to land is unclear; nothing from it was landed`);
    }
    const capture = new ManifestCapture(MAX_MANIFEST_BYTES, `${path}: ${entry.name}`, (bytes) => {
      this.manifest = bytes;
    });
    // pipeline carries an error either way: a damaged archive fails the capture, and the reverse.
    pipeline(entry.stream, capture, (error) => {
      if (error) this.captureFailure ??= error;
    });
    if (this.settings.landManifest) return { name: entry.name, stream: capture };
    // Not landed: the copy is all that is wanted, so the capture is read to its end here.
    capture.resume();
    return undefined;
  }

  finish(staged: readonly StagedEntry[]): readonly string[] {
    const path = this.context.file.path;
    const manifestName = this.settings.manifest;
    if (this.captureFailure) throw this.captureFailure;
    if (!this.manifest) {
      throw new OctoError('filter', `${path} has no ${manifestName} at its root, so which payslips to land is unknown; nothing from it was landed`);
    }
    const manifest = parsePayrollManifest(this.manifest, `${path}: ${manifestName}`);
    const name = parsePayrollBundleName(path);
    const week = name ? `${name.year}-W${name.week}` : undefined;
    if (manifest.period !== undefined && week !== undefined && manifest.period !== week) {
      throw new OctoError('filter', `${path}: ${manifestName} is for period ${manifest.period} but the bundle is named for ${week}; nothing from it was landed`);
    }
    const present = new Set(this.entries);
    const missing = manifest.files.filter((file) => !present.has(file));
    if (missing.length > 0) {
      throw new OctoError(
        'filter',
        `${path}: ${manifestName} lists ${missing.length} file${missing.length === 1 ? '' : 's'} missing from the bundle (${missing.join(', ')}); nothing from it was landed, ask Globex to resend the week`,
      );
    }
    // The store hashed every staged entry as it wrote it; no need to hash the payslips again.
    const hashes = new Map(staged.map((entry) => [entry.name, entry.sha256]));
    for (const [file, expected] of manifest.sha256) {
      const actual = hashes.get(file);
      if (actual !== expected) {
        throw new OctoError(
          'filter',
          `${path}: ${file} does not match its sha256 in ${manifestName} (listed ${expected.slice(0, 12)}..., bundle holds ${actual?.slice(0, 12) ?? 'nothing'}...); nothing from it was landed, ask Globex to resend the week`,
        );
      }
    }
    const listed = new Set(manifest.files);
    const drop = staged.map((entry) => entry.name).filter((entry) => entry !== manifestName && !listed.has(entry));
    if (drop.length > 0) {
      this.logger.warn('dropped bundle entries the manifest does not list', { provider: this.context.provider, path, dropped: drop });
    }
    return drop;
  }
}
