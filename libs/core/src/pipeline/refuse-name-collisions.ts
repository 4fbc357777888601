import type { RemoteFile } from '../ports/remote-source.js';

/**
 * Two files of one listing whose names read alike once decoded (a UTF-8 `café.csv` and a
 * Windows-1252 `caf\xE9.csv`) would share every output key: each file whose name was not
 * UTF-8 and reads like another listed path is refused, naming both, instead of landing
 * over it. Files with UTF-8 names are never refused here.
 */
export function refuseNameCollisions(files: readonly RemoteFile[]): RemoteFile[] {
  const count = new Map<string, number>();
  for (const file of files) count.set(file.path, (count.get(file.path) ?? 0) + 1);
  return files.map((file) =>
    file.rawPath !== undefined && (count.get(file.path) ?? 0) > 1 && file.refused === undefined
      ? {
          ...file,
          refused:
            `its name is not UTF-8 (bytes ${file.rawPath}) and reads as "${file.path}" in Windows-1252, the same as another file in the drop; ` +
            'ask the provider to rename one of them',
        }
      : file,
  );
}
