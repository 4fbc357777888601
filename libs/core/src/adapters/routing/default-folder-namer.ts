import { injectable } from 'inversify';
import type { FileContext } from '../../ports/file-context.js';
import type { FolderNamer } from '../../ports/folder-namer.js';

/** The default folder: the provider's name. */
@injectable()
export class DefaultFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    return context.provider;
  }
}
