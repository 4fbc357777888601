import { inject, injectable } from 'inversify';
import picomatch from 'picomatch';
import { TYPES, type ProviderContext } from '../../ports/identifiers.js';
import type { RemoteFile } from '../../ports/remote-source.js';
import type { FileFilter } from '../../ports/stages.js';

// Uploads still in progress, which every partner's drop can hold: `*.part`, `*.tmp`,
// `*.filepart`, `*.crdownload` and `~` lock files. Dot files never match `include` (dot: false).
const IN_PROGRESS = /(^|\/)(~[^/]*|[^/]*\.(part|tmp|filepart|crdownload))$/i;

/**
 * Takes the files that match an `include` glob and no `exclude` glob, leaving uploads still in
 * progress (and dot files) for a later run; keeps every entry.
 */
@injectable()
export class GlobFileFilter implements FileFilter {
  private readonly included: (path: string) => boolean;
  private readonly excluded: (path: string) => boolean;

  constructor(@inject(TYPES.ProviderContext) provider: ProviderContext) {
    this.included = picomatch(provider.config.include, { dot: false });
    this.excluded = provider.config.exclude.length ? picomatch(provider.config.exclude, { dot: true }) : () => false;
  }

  accepts(file: RemoteFile): boolean {
    return this.included(file.path) && !this.excluded(file.path) && !IN_PROGRESS.test(file.path);
  }
}
