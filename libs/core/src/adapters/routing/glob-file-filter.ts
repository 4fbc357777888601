import { inject, injectable } from 'inversify';
import picomatch from 'picomatch';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import type { RemoteFile } from '../../ports/remote-source.js';
import type { FileFilter } from '../../ports/stages.js';

/** Takes the files that match an `include` glob and no `exclude` glob; keeps every entry. */
@injectable()
export class GlobFileFilter implements FileFilter {
  private readonly included: picomatch.Matcher;
  private readonly excluded: picomatch.Matcher;

  constructor(@inject(TYPES.ProviderContext) provider: ProviderContext) {
    this.included = picomatch(provider.config.include, { dot: false });
    this.excluded = picomatch(provider.config.exclude.length ? provider.config.exclude : ['\0never'], { dot: true });
  }

  accepts(file: RemoteFile): boolean {
    return this.included(file.path) && !this.excluded(file.path);
  }
}
