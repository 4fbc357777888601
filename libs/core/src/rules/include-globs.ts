import picomatch from 'picomatch';
import type { RemoteFile } from '../ports/remote-source.js';

// Uploads still in progress, which every partner's drop can hold: `*.part`, `*.tmp`,
// `*.filepart`, `*.crdownload` and `~` lock files. Dot files never match `include` (dot: false).
const IN_PROGRESS = /(^|\/)(~[^/]*|[^/]*\.(part|tmp|filepart|crdownload))$/i;

/**
 * The config's file rule, the same for every provider: a file is taken when an `include` glob
 * matches its path and no `exclude` glob does, and it is not an upload still in progress (or a dot file).
 */
export function includeGlobs(config: { readonly include: readonly string[]; readonly exclude: readonly string[] }): (file: Pick<RemoteFile, 'path'>) => boolean {
  const included = picomatch([...config.include], { dot: false });
  const excluded = config.exclude.length ? picomatch([...config.exclude], { dot: true }) : () => false;
  return (file) => included(file.path) && !excluded(file.path) && !IN_PROGRESS.test(file.path);
}
