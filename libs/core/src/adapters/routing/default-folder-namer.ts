import { injectable } from 'inversify';
import type { FileContext, FolderNamer } from '../../ports/stages.js';

/** The default folder: the provider's name. */
@injectable()
export class DefaultFolderNamer implements FolderNamer {
  folderFor(_entry: { name: string }, context: FileContext): string {
    return context.provider;
  }
}
