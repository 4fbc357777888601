import { defineProvider, OctoError, providerSettings, type ProviderContext } from '@octo/core';
import { z } from 'zod';
import { AcmeBankFileHandler } from './acme-bank-file-handler.js';
import { AcmeBankFolderNamer } from './acme-bank-folder-namer.js';
import { AcmeBankStatementCheck } from './acme-bank-statement-check.js';

export { AcmeBankFileHandler } from './acme-bank-file-handler.js';
export { AcmeBankFolderNamer } from './acme-bank-folder-namer.js';
export { AcmeBankStatementCheck, STATEMENT_HEADER, STATEMENT_TRAILER } from './acme-bank-statement-check.js';
export { parseStatementName, type StatementName } from './statement-name.js';

/** The `settings:` block of the `acme-bank` entry in octo.config.yaml: none yet, so only `{}`. */
const acmeBankSettings = providerSettings('acme-bank', z.object({}).strict());

/**
 * The Acme Bank provider plugin: daily statements `stmt_<account>_<YYYYMMDD>.csv.gz.gpg`,
 * encrypted to our public key and each signed by the bank in a detached `.sig`. It refuses
 * to start unless the config requires that signature, so an unsigned or forged statement
 * is never ingested; it checks each statement's header and its trailer's row count as it
 * streams, so a statement cut short never lands; it lands statements under `<account>/<YYYY>/<MM>`.
 */
export const acmeBankProvider = defineProvider({
  name: 'acme-bank',
  description: 'Acme Bank: daily statements stmt_<account>_<YYYYMMDD>.csv.gz.gpg, bank signature required',
  settings: acmeBankSettings,
  register({ provider, override }) {
    assertSignatureRequired(provider);
    override('folderNamer', AcmeBankFolderNamer);
    override('fileHandler', AcmeBankFileHandler);
    override('entryTransform', AcmeBankStatementCheck);
  },
});

/**
 * The core signature verifier enforces the `decryption` policy; this makes sure the policy for the
 * bank is the strict one, since a statement is money movement and must come from the bank.
 */
function assertSignatureRequired(context: ProviderContext): void {
  const at = `providers.${context.name}.decryption`;
  const { decryption } = context.config;
  const problems = [
    decryption.signature !== 'required' ? `${at}.signature: must be "required" (it is "${decryption.signature}"): Acme Bank signs every statement` : undefined,
    decryption.verificationKeys.length === 0 ? `${at}.verificationKeys: add the bank's public signing key, e.g. file:keys/acme-bank-signing.asc` : undefined,
    decryption.privateKeys.length === 0 ? `${at}.privateKeys: add the private key the bank encrypts statements to` : undefined,
  ].filter((problem): problem is string => problem !== undefined);
  if (problems.length > 0) {
    throw new OctoError('config', `provider ${context.name} (plugin acme-bank) is not configured safely:\n  ${problems.join('\n  ')}`, { fatal: true });
  }
}
