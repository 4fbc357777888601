import path from 'node:path';
import type { RemoteFile } from '../ports/remote-source.js';
import type { Readiness } from './hold-for-ready.js';

/** Largest manifest read. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** `name size` or `name,size` per line (blank lines and `#` comments skipped): name -> size, or why not. */
export function parseManifest(text: string): Map<string, number> | string {
  const sizes = new Map<string, number>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, name, size] = /^(.+?)[\s,]+(\d+)$/.exec(line) ?? [];
    if (name === undefined || size === undefined) return `line ${index + 1} is not "name size" or "name,size"`;
    sizes.set(name.trim(), Number(size));
  }
  return sizes;
}

/**
 * Discovery's manifest step (`ready: { manifest }`): a folder's files are taken only when its
 * manifest lists them at their listed size; a file the manifest does not list, or lists at
 * another size (still being written), waits with the reason. Manifests are never data.
 */
export async function holdForManifest(files: readonly RemoteFile[], manifest: string, read: (file: string) => Promise<Buffer>): Promise<Readiness> {
  const listed = new Set(files.map((file) => file.path));
  const manifests = new Map<string, Promise<Map<string, number> | string>>();
  const manifestOf = (folder: string) => {
    const where = folder === '.' ? manifest : `${folder}/${manifest}`;
    let found = manifests.get(where);
    if (!found) {
      found = listed.has(where)
        ? read(where).then(
            (bytes) => parseManifest(bytes.toString('utf8')),
            (error: unknown) => `it cannot be read: ${(error as Error).message}`,
          )
        : Promise.resolve('it is not there yet');
      manifests.set(where, found);
    }
    return { where, found };
  };
  const ready: RemoteFile[] = [];
  const waiting: Readiness['waiting'] = [];
  for (const file of files) {
    const name = path.posix.basename(file.path);
    if (name === manifest) continue;
    const { where, found } = manifestOf(path.posix.dirname(file.path));
    const sizes = await found;
    if (typeof sizes === 'string') {
      waiting.push({ ...file, for: where, ...(sizes === 'it is not there yet' ? {} : { reason: `the manifest ${where}: ${sizes}` }) });
      continue;
    }
    const expected = sizes.get(name);
    if (expected === file.size) ready.push(file);
    else if (expected === undefined) waiting.push({ ...file, for: where, reason: `the manifest does not list ${name}` });
    else waiting.push({ ...file, for: where, reason: `the manifest lists ${name} at ${expected} bytes, the server has ${file.size} (still being written?)` });
  }
  return { ready, waiting };
}
