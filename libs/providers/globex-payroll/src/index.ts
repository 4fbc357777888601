import { defineProvider, TYPES } from '@octo/core';
import { z } from 'zod';
import { GlobexPayrollFileFilter } from './globex-payroll-file-filter.js';
import { GlobexPayrollFolderNamer } from './globex-payroll-folder-namer.js';

export { GlobexPayrollFileFilter } from './globex-payroll-file-filter.js';
export { GlobexPayrollFolderNamer } from './globex-payroll-folder-namer.js';

/** The `settings:` block of the `globex-payroll` entry in octo.config.yaml; add the partner's own options here. */
const settingsSchema = z.object({}).strict();

/** The globex-payroll provider plugin: Globex payroll: weekly passphrase-encrypted payslip bundles, only files listed in the XML manifest land */
export const globexPayrollProvider = defineProvider({
  name: 'globex-payroll',
  description: 'Globex payroll: weekly passphrase-encrypted payslip bundles, only files listed in the XML manifest land',
  settings: settingsSchema,
  register({ options }) {
    // The child container already holds every default port: bind only what differs for this partner.
    options.bind(TYPES.FolderNamer).to(GlobexPayrollFolderNamer);
    options.bind(TYPES.FileFilter).to(GlobexPayrollFileFilter);
  },
});
