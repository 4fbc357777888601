import { firstDateIn, injectable, type FileContext, type FolderNamer } from '@octo/core';

/**
 * The example partner's folder rule: `<provider>/<YYYY-MM-DD>` from the first calendar date in the
 * source file's name (`statements_20261101.csv.gpg` -> `example/2026-11-01`), else
 * `<provider>/undated`.
 */
@injectable()
export class DatedFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    const name = context.file.path.split('/').pop() ?? '';
    return `${context.provider}/${firstDateIn(name) ?? 'undated'}`;
  }
}
