import type { FileOrder } from '../config/failure-policy-schema.js';
import type { RemoteFile } from '../ports/remote-source.js';

/**
 * The pending files in the order a run starts them: by path (`name`), or oldest first
 * (`mtime`, ties by path), so partners whose files must apply in order get that order.
 */
export function inRunOrder(files: readonly RemoteFile[], order: FileOrder): RemoteFile[] {
  const byPath = (a: RemoteFile, b: RemoteFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return [...files].sort(order === 'mtime' ? (a, b) => a.mtimeMs - b.mtimeMs || byPath(a, b) : byPath);
}
