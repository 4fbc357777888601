import { injectable } from 'inversify';
import type { FileHandler, FileHandling } from '../../ports/file-handler.js';

/** Takes every file the config's globs take, and lands every entry of it. */
@injectable()
export class DefaultFileHandler implements FileHandler {
  accepts(): boolean {
    return true;
  }

  begin(): FileHandling {
    return {};
  }
}
