import { createHash } from 'node:crypto';
import path from 'node:path';
import { walkFolder } from '../util/walk-folder.js';

/** Every file below `dir`, relative and `/`-separated, sorted; `[]` when it does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const names = await walkFolder(dir);
  return names
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Every file below a local bucket `dir` (as {@link listFiles}) except the failure counts that a
 * failed file leaves on purpose (`_octo/quarantine/`): what a failure must otherwise never leave.
 */
export async function listBucketFiles(dir: string): Promise<string[]> {
  return (await listFiles(dir)).filter((key) => !key.startsWith('_octo/quarantine/'));
}
