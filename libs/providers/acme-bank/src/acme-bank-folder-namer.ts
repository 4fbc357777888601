import { injectable, OctoError, type FileContext, type FolderNamer } from '@octo/core';
import { parseStatementName } from './statement-name.js';

/**
 * Acme Bank's folder rule: `<account>/<YYYY>/<MM>` from the statement's name, so
 * `stmt_12345678_20261101.csv.gz.gpg` lands at `data/csv/12345678/2026/11/stmt_12345678_20261101.csv`.
 */
@injectable()
export class AcmeBankFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    const statement = parseStatementName(context.file.path);
    if (!statement) {
      // The filter takes only statement names; reaching here means it was replaced.
      throw new OctoError('route', `${context.file.path} is not named stmt_<account>_<YYYYMMDD>.csv.gz.gpg, so it has no account folder`);
    }
    return `${statement.account}/${statement.year}/${statement.month}`;
  }
}
