import picomatch from 'picomatch';
import type { RemoteFile } from '../ports/remote-source.js';

// Uploads still in progress, which every partner's drop can hold: `*.part`, `*.tmp`,
// `*.filepart`, `*.crdownload` and `~` lock files. Dot files (and files in dot folders) never
// match `include` (dot: false) unless a glob names the dot segment itself.
const IN_PROGRESS = /(^|\/)(~[^/]*|[^/]*\.(part|tmp|filepart|crdownload))$/i;

/** How the rule is told to an operator, wherever it explains a file it left. */
export const IN_PROGRESS_RULE = 'uploads in progress (*.part, *.tmp, *.filepart, *.crdownload, ~*) and dot files are never taken';

type Globs = { readonly include: readonly string[]; readonly exclude: readonly string[] };

/**
 * The config's file rule, the same for every provider: a file is taken when an `include` glob
 * matches its path and no `exclude` glob does, and it is not an upload still in progress (or a dot file).
 */
export function includeGlobs(config: Globs): (file: Pick<RemoteFile, 'path'>) => boolean {
  const included = picomatch([...config.include], { dot: false });
  const excluded = excludeGlobs(config);
  return (file) => included(file.path) && !excluded(file.path) && !IN_PROGRESS.test(file.path);
}

/**
 * The files {@link includeGlobs} leaves only because they look like an upload in progress or a
 * dot file: the globs would take them otherwise. An operator is told of these (a partner who
 * uploads into `.incoming/` and never renames would otherwise be silent).
 */
export function leftAsInProgress(config: Globs): (file: Pick<RemoteFile, 'path'>) => boolean {
  const takes = includeGlobs(config);
  const includedWithDots = picomatch([...config.include], { dot: true });
  const excluded = excludeGlobs(config);
  return (file) => !takes(file) && includedWithDots(file.path) && !excluded(file.path);
}

function excludeGlobs(config: Globs): (path: string) => boolean {
  return config.exclude.length ? picomatch([...config.exclude], { dot: true }) : () => false;
}
