import { inject, injectable } from 'inversify';
import picomatch from 'picomatch';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import type { RemoteFile } from '../../ports/remote-source.js';
import type { FileFilter } from '../../ports/stages.js';

/** Takes the files that match an `include` glob and no `exclude` glob; keeps every entry. */
@injectable()
export class GlobFileFilter implements FileFilter {
  private readonly included: (path: string) => boolean;
  private readonly excluded: (path: string) => boolean;

  constructor(@inject(TYPES.ProviderContext) provider: ProviderContext) {
    this.included = picomatch(provider.config.include, { dot: false });
    this.excluded = provider.config.exclude.length ? picomatch(provider.config.exclude, { dot: true }) : () => false;
  }

  accepts(file: RemoteFile): boolean {
    return this.included(file.path) && !this.excluded(file.path);
  }
}
