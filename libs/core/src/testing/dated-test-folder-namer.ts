import { injectable } from 'inversify';
import type { FileContext } from '../ports/file-context.js';
import type { FolderNamer } from '../ports/folder-namer.js';
import { firstDateIn } from '../rules/date-in-name.js';

/**
 * The test partner's folder rule: `<provider>/<YYYY-MM-DD>` from the first calendar date in the source
 * file's name (`statements_20261101.csv.gpg` -> `example/2026-11-01`), else `<provider>/undated`.
 */
@injectable()
export class DatedTestFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    const name = context.file.path.split('/').pop() ?? '';
    return `${context.provider}/${firstDateIn(name) ?? 'undated'}`;
  }
}
