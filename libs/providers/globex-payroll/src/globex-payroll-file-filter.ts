import {
  GlobFileFilter,
  inject,
  injectable,
  OctoError,
  TYPES,
  type FileContext,
  type Logger,
  type ProviderContext,
  type RemoteFile,
  type StagedEntry,
} from '@octo/core';
import { BundleContents } from './bundle-contents.js';
import type { GlobexPayrollSettings } from './globex-payroll-settings.js';
import { parsePayrollBundleName } from './payroll-bundle-name.js';
import { parsePayrollManifest } from './payroll-manifest.js';

/**
 * Globex payroll's file filter. Takes only `payroll_<YYYY>W<ww>.tar.gz.pgp` bundles (within
 * the configured globs). Inside a bundle, every entry is staged as it streams past; at the
 * end of the file, when the manifest has surely been read, the entries it does not list are
 * dropped, and a listed file missing from the bundle or unlike its stated sha256 (or no
 * manifest, or a manifest for another week) fails the whole bundle.
 */
@injectable()
export class GlobexPayrollFileFilter extends GlobFileFilter {
  private readonly settings: GlobexPayrollSettings;

  constructor(
    @inject(TYPES.ProviderContext) provider: ProviderContext,
    @inject(BundleContents) private readonly contents: BundleContents,
    @inject(TYPES.Logger) private readonly logger: Logger,
  ) {
    super(provider);
    this.settings = provider.settings as GlobexPayrollSettings;
  }

  override accepts(file: RemoteFile): boolean {
    return super.accepts(file) && parsePayrollBundleName(file.path) !== undefined;
  }

  keepsEntry(entry: { name: string }, _context: FileContext): boolean {
    // Whether a payslip is listed is known only at the end; the manifest itself is known now.
    return entry.name !== this.settings.manifest || this.settings.landManifest;
  }

  finishFile(staged: readonly StagedEntry[], context: FileContext): readonly string[] {
    const bundle = this.contents.take(context);
    const path = context.file.path;
    const manifestName = this.settings.manifest;
    if (!bundle.manifest) {
      throw new OctoError('filter', `${path} has no ${manifestName} at its root, so which payslips to land is unknown; nothing from it was landed`);
    }
    const manifest = parsePayrollManifest(bundle.manifest, `${path}: ${manifestName}`);
    const name = parsePayrollBundleName(path);
    const week = name ? `${name.year}-W${name.week}` : undefined;
    if (manifest.period !== undefined && week !== undefined && manifest.period !== week) {
      throw new OctoError('filter', `${path}: ${manifestName} is for period ${manifest.period} but the bundle is named for ${week}; nothing from it was landed`);
    }
    const present = new Set(bundle.entries);
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
      this.logger.warn('dropped bundle entries the manifest does not list', { provider: context.provider, path, dropped: drop });
    }
    return drop;
  }
}
