import { injectable, type FileContext, type FolderNamer } from '@octo/core';

/**
 * The acme-bank folder rule: `<provider>/<sub-folders of the drop>`, so outputs mirror the
 * partner's layout (`in/2026/a.csv` -> `acme-bank/in/2026`). Edit `folderFor` to the partner's rule.
 */
@injectable()
export class AcmeBankFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    const parts = context.file.path.split('/');
    return [context.provider, ...parts.slice(0, -1)].join('/');
  }
}
