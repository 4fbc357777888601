import { injectable, type FileHandler, type FileHandling, type RemoteFile } from '@octo/core';
import { parseStatementName } from './statement-name.js';

/**
 * Acme Bank's file rule: among the files the configured globs take, only daily statements named
 * `stmt_<account>_<YYYYMMDD>.csv.gz.gpg` with a real date. Anything else in the drop (notices,
 * test files, uploads in progress) is left alone; a statement lands whole.
 */
@injectable()
export class AcmeBankFileHandler implements FileHandler {
  accepts(file: RemoteFile): boolean {
    return parseStatementName(file.path) !== undefined;
  }

  begin(): FileHandling {
    return {};
  }
}
