import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { OctoError } from '../errors/octo-error.js';
import { processAlive } from '../util/process-alive.js';
import { JobConflictError } from './job-conflict-error.js';

/**
 * One sync per provider at a time across processes on this machine: a lock file in the
 * work directory, created exclusively, holding the owner's pid. A lock left by a process
 * that no longer runs is taken over.
 */
export class ProviderLock {
  private constructor(private readonly file: string) {}

  static async acquire(workDir: string, provider: string, jobId: string): Promise<ProviderLock> {
    const dir = path.join(workDir, 'locks');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${provider}.lock`);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), jobId, at: new Date().toISOString() }));
        await handle.close();
        return new ProviderLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = await readOwner(file);
        if (owner && owner.host === hostname() && !processAlive(owner.pid)) {
          await rm(file, { force: true });
          continue;
        }
        // Another process (octo sync, a second API) runs this provider: a conflict like an in-process one.
        throw new JobConflictError(
          provider,
          owner?.jobId,
          `provider ${provider} is already syncing (job ${owner?.jobId ?? 'unknown'}, pid ${owner?.pid ?? '?'} on ${owner?.host ?? '?'}); wait for it to finish`,
        );
      }
    }
    throw new OctoError('internal', `could not take the lock for provider ${provider}`, { fatal: true });
  }

  async release(): Promise<void> {
    await rm(this.file, { force: true });
  }
}

async function readOwner(file: string): Promise<{ pid: number; host: string; jobId: string } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { pid: number; host: string; jobId: string };
  } catch {
    return undefined;
  }
}
