import { defineProvider, TYPES } from '@octo/core';
import { z } from 'zod';
import { AcmeBankFileFilter } from './acme-bank-file-filter.js';
import { AcmeBankFolderNamer } from './acme-bank-folder-namer.js';

export { AcmeBankFileFilter } from './acme-bank-file-filter.js';
export { AcmeBankFolderNamer } from './acme-bank-folder-namer.js';

/** The `settings:` block of the `acme-bank` entry in octo.config.yaml; add the partner's own options here. */
const settingsSchema = z.object({}).strict();

/** The acme-bank provider plugin: Acme Bank: daily signed account statements, stmt_<account>_<YYYYMMDD>.csv.gz.gpg */
export const acmeBankProvider = defineProvider({
  name: 'acme-bank',
  description: 'Acme Bank: daily signed account statements, stmt_<account>_<YYYYMMDD>.csv.gz.gpg',
  settings: settingsSchema,
  register({ options }) {
    // The child container already holds every default port: bind only what differs for this partner.
    options.bind(TYPES.FolderNamer).to(AcmeBankFolderNamer);
    options.bind(TYPES.FileFilter).to(AcmeBankFileFilter);
  },
});
