import type { FileContext } from './file-context.js';

/** The folder part of an output key, per provider (the legacy `get_folder_name`). */
export interface FolderNamer {
  folderFor(entry: { name: string }, context: FileContext): string;
}
