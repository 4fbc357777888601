import { defineProvider } from '@octo/core';
import { GlobexPayrollFileHandler } from './globex-payroll-file-handler.js';
import { GlobexPayrollFolderNamer } from './globex-payroll-folder-namer.js';
import { globexPayrollSettings } from './globex-payroll-settings.js';

export { GlobexPayrollFileHandler } from './globex-payroll-file-handler.js';
export { GlobexPayrollFolderNamer } from './globex-payroll-folder-namer.js';
export { globexPayrollSettings, globexPayrollSettingsSchema, MAX_MANIFEST_BYTES, type GlobexPayrollSettings } from './globex-payroll-settings.js';
export { PayrollBundleHandling } from './payroll-bundle-handling.js';
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
  settings: globexPayrollSettings,
  register({ override }) {
    override('folderNamer', GlobexPayrollFolderNamer);
    // Each bundle's handling records its entries and its manifest, and decides at its end.
    override('fileHandler', GlobexPayrollFileHandler);
  },
});
