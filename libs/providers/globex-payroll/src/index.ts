import { DefaultUnpacker, defineProvider, TYPES } from '@octo/core';
import { BundleContents } from './bundle-contents.js';
import { GlobexPayrollFileFilter } from './globex-payroll-file-filter.js';
import { GlobexPayrollFolderNamer } from './globex-payroll-folder-namer.js';
import { globexPayrollSettingsSchema } from './globex-payroll-settings.js';
import { ManifestCapturingUnpacker } from './manifest-capturing-unpacker.js';

export { BundleContents, type SeenBundle } from './bundle-contents.js';
export { GlobexPayrollFileFilter } from './globex-payroll-file-filter.js';
export { GlobexPayrollFolderNamer } from './globex-payroll-folder-namer.js';
export { globexPayrollSettingsSchema, MAX_MANIFEST_BYTES, type GlobexPayrollSettings } from './globex-payroll-settings.js';
export { ManifestCapturingUnpacker } from './manifest-capturing-unpacker.js';
export { isoWeeksIn, parsePayrollBundleName, type PayrollBundleName } from './payroll-bundle-name.js';
export { parsePayrollManifest, type PayrollManifest } from './payroll-manifest.js';

/**
 * The Globex payroll provider plugin: weekly `payroll_<YYYY>W<ww>.tar.gz.pgp` bundles,
 * encrypted with a passphrase, of PDF payslips and an XML manifest. Only the files the
 * manifest lists land, under `<YYYY>-W<ww>`; a listed file missing from the bundle fails it.
 */
export const globexPayrollProvider = defineProvider({
  name: 'globex-payroll',
  description: 'Globex payroll: weekly payslip bundles payroll_<YYYY>W<ww>.tar.gz.pgp, only files the manifest lists land',
  settings: globexPayrollSettingsSchema,
  register({ options }) {
    options.bind(TYPES.FolderNamer).to(GlobexPayrollFolderNamer);
    options.bind(TYPES.FileFilter).to(GlobexPayrollFileFilter);
    // The unpacker records each bundle's entries and manifest; the filter reads them at the end.
    options.bind(BundleContents).toSelf().inSingletonScope();
    options.bind(DefaultUnpacker).toSelf();
    options.bind(TYPES.Unpacker).to(ManifestCapturingUnpacker);
  },
});
