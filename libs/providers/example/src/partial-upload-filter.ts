import { GlobFileFilter, inject, injectable, TYPES, type FileContext, type ProviderContext, type RemoteFile } from '@octo/core';

const PARTIAL = /(^|\/)(~[^/]*|\.[^/]*|[^/]*\.(part|tmp|filepart|crdownload))$/i;
const JUNK_ENTRY = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

/**
 * The example partner's filter: the configured globs, minus uploads still in progress
 * (`*.part`, `*.tmp`, `~lock` and dot files); inside archives, OS junk entries are dropped.
 */
@injectable()
export class PartialUploadFilter extends GlobFileFilter {
  constructor(@inject(TYPES.ProviderContext) provider: ProviderContext) {
    super(provider);
  }

  override accepts(file: RemoteFile): boolean {
    return super.accepts(file) && !PARTIAL.test(file.path);
  }

  keepsEntry(entry: { name: string }, _context: FileContext): boolean {
    return !JUNK_ENTRY.test(entry.name);
  }
}
