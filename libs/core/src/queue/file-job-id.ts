import { createHash } from 'node:crypto';
import type { RemoteFile } from '../ports/remote-source.js';

/**
 * The BullMQ job id of a file: the same provider, path (its bytes too), size and mtime give the
 * same id, so a file is never queued twice while its job exists (BullMQ ignores an add whose id
 * exists). Hex after a readable head, since a BullMQ id may not contain `:`.
 */
export function fileJobId(provider: string, file: Pick<RemoteFile, 'path' | 'rawPath' | 'size' | 'mtimeMs'>): string {
  const identity = JSON.stringify([provider, file.path, file.rawPath ?? null, file.size, file.mtimeMs]);
  return `file-${createHash('sha256').update(identity).digest('hex').slice(0, 40)}`;
}
