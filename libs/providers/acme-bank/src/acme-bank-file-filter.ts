import { GlobFileFilter, inject, injectable, TYPES, type ProviderContext, type RemoteFile } from '@octo/core';
import { parseStatementName } from './statement-name.js';

/**
 * Acme Bank's file filter: the configured globs, and only daily statements named
 * `stmt_<account>_<YYYYMMDD>.csv.gz.gpg` with a real date. Anything else in the drop
 * (notices, test files, uploads in progress) is left alone.
 */
@injectable()
export class AcmeBankFileFilter extends GlobFileFilter {
  constructor(@inject(TYPES.ProviderContext) provider: ProviderContext) {
    super(provider);
  }

  override accepts(file: RemoteFile): boolean {
    return super.accepts(file) && parseStatementName(file.path) !== undefined;
  }
}
