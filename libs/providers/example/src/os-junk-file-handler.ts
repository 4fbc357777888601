import { injectable, type FileHandler, type FileHandling, type UnpackedEntry } from '@octo/core';

const JUNK_ENTRY = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

/**
 * The example partner's file rule: every file the configured globs take, and inside archives,
 * the OS junk its zips carry (`__MACOSX/`, `.DS_Store`, `Thumbs.db`) is dropped.
 */
@injectable()
export class OsJunkFileHandler implements FileHandler {
  accepts(): boolean {
    return true;
  }

  begin(): FileHandling {
    return { entry: (entry: UnpackedEntry) => (JUNK_ENTRY.test(entry.name) ? undefined : entry) };
  }
}
