import { injectable } from 'inversify';
import type { FileContext } from '../ports/file-context.js';
import type { FolderNamer } from '../ports/folder-namer.js';

const DATE = /(?<!\d)(20\d{2})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)/;

/**
 * The test partner's folder rule: `<provider>/<YYYY-MM-DD>` from the first date in the source
 * file's name (`statements_20261101.csv.gpg` -> `example/2026-11-01`), else `<provider>/undated`.
 */
@injectable()
export class DatedTestFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    const name = context.file.path.split('/').pop() ?? '';
    const match = DATE.exec(name);
    return match ? `${context.provider}/${match[1]}-${match[2]}-${match[3]}` : `${context.provider}/undated`;
  }
}
