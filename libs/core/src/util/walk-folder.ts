import { readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';

/** Walks tried before a folder that keeps changing under the walk is reported as an error. */
const WALK_ATTEMPTS = 20;

/**
 * Every entry below `dir` (a recursive `readdir` with file types), or `[]` when `dir` does not
 * exist. A recursive walk fails with ENOENT when a sub-folder is removed while it is being read
 * (staging and spool folders come and go during a run); that is not an empty folder, so the
 * walk is tried again.
 */
export async function walkFolder(dir: string): Promise<Dirent[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await readdir(dir, { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const root = await stat(dir).catch(() => undefined);
      if (!root?.isDirectory()) return [];
      if (attempt >= WALK_ATTEMPTS) throw error;
    }
  }
}
