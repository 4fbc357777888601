import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProviderLock } from './provider-lock.js';

const LOCK_MODULE = fileURLToPath(new URL('./provider-lock.ts', import.meta.url));

let work: string;
const lockFile = () => path.join(work, 'locks', 'p.lock');

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'octo-lock-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  vi.doUnmock('node:fs/promises');
  await rm(work, { recursive: true, force: true });
});

/** Starts a process that takes the lock, and SIGKILLs it the moment the lock file exists. */
async function killRightAfterLocking(): Promise<void> {
  const script = path.join(work, 'hold.mts');
  await writeFile(
    script,
    `import { ProviderLock } from ${JSON.stringify(LOCK_MODULE)};\nawait ProviderLock.acquire(${JSON.stringify(work)}, 'p', 'job-killed');\nsetInterval(() => undefined, 1000);\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: 'ignore', cwd: fileURLToPath(new URL('../../', import.meta.url)) });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  while (!existsSync(lockFile())) {
    if (Date.now() > deadline) throw new Error('the child never took the lock');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  child.kill('SIGKILL');
  await exited;
}

describe(ProviderLock, () => {
  describe('when the holder is killed (SIGKILL) right after taking the lock', () => {
    it('should leave a complete lock that the next run takes over', async () => {
      await killRightAfterLocking();
      const left = JSON.parse(await readFile(lockFile(), 'utf8')) as { jobId: string; host: string };
      expect(left).toMatchObject({ jobId: 'job-killed', host: hostname() });
      const lock = await ProviderLock.acquire(work, 'p', 'job-next');
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ jobId: 'job-next', pid: process.pid });
      await lock.release();
      expect(existsSync(lockFile())).toBe(false);
      // No temp file of either try stays beside the lock.
      expect(await readdir(path.join(work, 'locks'))).toEqual([]);
    }, 30_000);
  });

  describe('when the holder is alive', () => {
    it('should refuse with the running job, pid and host', async () => {
      const first = await ProviderLock.acquire(work, 'p', 'job-1');
      await expect(ProviderLock.acquire(work, 'p', 'job-2')).rejects.toThrow(
        `provider p is already syncing (job job-1, pid ${process.pid} on ${hostname()}); wait for it to finish`,
      );
      await first.release();
      const second = await ProviderLock.acquire(work, 'p', 'job-2');
      await second.release();
    });
  });

  describe('when the lock file is empty or unreadable (an older version, a full disk)', () => {
    it('should refuse while it is young and take it over once older than the lease expiry', async () => {
      await mkdir(path.join(work, 'locks'), { recursive: true });
      await writeFile(lockFile(), '');
      const lease = { renewIntervalMs: 1000, expiryIntervals: 3 };
      await expect(ProviderLock.acquire(work, 'p', 'job-2', lease)).rejects.toThrow('provider p is already syncing (job unknown, pid ? on ?)');
      const old = new Date(Date.now() - 3_500);
      await utimes(lockFile(), old, old);
      const lock = await ProviderLock.acquire(work, 'p', 'job-2', lease);
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ jobId: 'job-2' });
      await lock.release();
    });
  });

  describe('when the holder is on another host', () => {
    it('should keep the lock while its lease is renewed and take it over once the lease expired', async () => {
      await mkdir(path.join(work, 'locks'), { recursive: true });
      await writeFile(lockFile(), JSON.stringify({ pid: 1, host: 'elsewhere.example', jobId: 'job-far', at: new Date().toISOString() }));
      const lease = { renewIntervalMs: 1000, expiryIntervals: 3 };
      await expect(ProviderLock.acquire(work, 'p', 'job-2', lease)).rejects.toThrow('(job job-far, pid 1 on elsewhere.example)');
      const old = new Date(Date.now() - 3_500);
      await utimes(lockFile(), old, old);
      const lock = await ProviderLock.acquire(work, 'p', 'job-2', lease);
      await lock.release();
    });

    it('should renew its own lease so that it never expires while held', async () => {
      const lease = { renewIntervalMs: 50, expiryIntervals: 3 };
      const lock = await ProviderLock.acquire(work, 'p', 'job-1', lease);
      const old = new Date(Date.now() - 10_000);
      await utimes(lockFile(), old, old);
      await lock.renew();
      await expect(ProviderLock.acquire(work, 'p', 'job-2', lease)).rejects.toThrow('already syncing (job job-1');
      await lock.release();
    });
  });

  describe('when the lock was taken over after the lease expired', () => {
    it('should not remove the new holder lock on release', async () => {
      const lease = { renewIntervalMs: 1000, expiryIntervals: 1 };
      const first = await ProviderLock.acquire(work, 'p', 'job-1', lease);
      const old = new Date(Date.now() - 5_000);
      await utimes(lockFile(), old, old);
      const second = await ProviderLock.acquire(work, 'p', 'job-2', lease);
      await first.release();
      expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ jobId: 'job-2' });
      await second.release();
    });
  });

  describe('when the disk is full', () => {
    it('should say so and leave no lock behind', async () => {
      vi.resetModules();
      vi.doMock('node:fs/promises', async (original) => {
        const actual = await original<typeof import('node:fs/promises')>();
        return {
          ...actual,
          writeFile: async (file: string, data: string) => {
            await actual.writeFile(file, data.slice(0, 3));
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          },
        };
      });
      const { ProviderLock: Fresh } = await import('./provider-lock.js');
      await expect(Fresh.acquire(work, 'p', 'job-1')).rejects.toThrow(
        'cannot take the lock for provider p: the disk of the work directory (workDir) is full; free space there and run again',
      );
      expect(await readdir(path.join(work, 'locks'))).toEqual([]);
    });
  });
});
