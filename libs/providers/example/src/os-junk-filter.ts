import { GlobFileFilter, inject, injectable, TYPES, type FileContext, type ProviderContext } from '@octo/core';

const JUNK_ENTRY = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

/**
 * The example partner's filter: core's (the configured globs, minus uploads still in progress),
 * and inside archives, the OS junk its zips carry (`__MACOSX/`, `.DS_Store`, `Thumbs.db`) is dropped.
 */
@injectable()
export class OsJunkFilter extends GlobFileFilter {
  constructor(@inject(TYPES.ProviderContext) provider: ProviderContext) {
    super(provider);
  }

  keepsEntry(entry: { name: string }, _context: FileContext): boolean {
    return !JUNK_ENTRY.test(entry.name);
  }
}
