import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { OctoError } from '../errors/octo-error.js';
import { processAlive } from '../util/process-alive.js';
import { JobConflictError } from './job-conflict-error.js';

/** Who holds a provider lock, as written in the lock file. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly jobId: string;
  /** ISO time the lock was taken. */
  readonly at: string;
}

/** How often the holder renews its lease, and after how many missed renewals the lease is expired. */
export interface LockLeaseOptions {
  /** Milliseconds between renewals of the lease (the lock file's mtime). Default 10 s. */
  readonly renewIntervalMs?: number;
  /** A lease older than this many intervals is expired and the lock may be taken over. Default 6 (one minute). */
  readonly expiryIntervals?: number;
}

export const DEFAULT_LOCK_RENEW_MS = 10_000;
export const DEFAULT_LOCK_EXPIRY_INTERVALS = 6;

/**
 * One sync per provider at a time across processes sharing a work directory: a lock file
 * `<workDir>/locks/<provider>.lock` holding its owner as JSON.
 *
 * The file is written whole under a temporary name and then hard-linked to the lock name, so
 * the lock is never seen empty or half-written, and a full disk fails before the lock exists.
 * The holder renews a lease (the file's mtime) every `renewIntervalMs`. The lock is taken
 * over when its owner is provably gone (same host, pid no longer running) or when its lease is
 * older than `expiryIntervals` intervals; a lock file that cannot be read (an older version,
 * a disk that filled up) is judged by its age the same way.
 */
export class ProviderLock {
  private readonly timer: NodeJS.Timeout;
  private released = false;

  private constructor(
    private readonly file: string,
    readonly owner: LockOwner,
    renewIntervalMs: number,
  ) {
    // A timer that fails to renew does not end the job: the lease just ages out, which is the point.
    this.timer = setInterval(() => void this.renew(), renewIntervalMs);
    this.timer.unref();
  }

  static async acquire(workDir: string, provider: string, jobId: string, lease: LockLeaseOptions = {}): Promise<ProviderLock> {
    const renewIntervalMs = lease.renewIntervalMs ?? DEFAULT_LOCK_RENEW_MS;
    const expiryMs = renewIntervalMs * (lease.expiryIntervals ?? DEFAULT_LOCK_EXPIRY_INTERVALS);
    const dir = path.join(workDir, 'locks');
    const file = path.join(dir, `${provider}.lock`);
    const owner: LockOwner = { pid: process.pid, host: hostname(), jobId, at: new Date().toISOString() };
    const temp = path.join(dir, `.${provider}.${owner.host}.${owner.pid}.${randomUUID()}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      await removeDeadTemps(dir, provider);
      await writeFile(temp, JSON.stringify(owner));
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw lockWriteError(provider, error);
    }
    try {
      // A few tries: each stale lock taken over leaves room for one more link.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        try {
          await link(temp, file);
          return new ProviderLock(file, owner, renewIntervalMs);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockWriteError(provider, error);
        }
        const held = await inspect(file);
        if (!held) continue; // released meanwhile
        if (!isStale(held, expiryMs)) {
          const current = held.owner;
          // Another process (octo sync, a second API) runs this provider: a conflict like an in-process one.
          throw new JobConflictError(
            provider,
            current?.jobId,
            `provider ${provider} is already syncing (job ${current?.jobId ?? 'unknown'}, pid ${current?.pid ?? '?'} on ${current?.host ?? '?'}); wait for it to finish`,
          );
        }
        await takeOver(file, held.ino);
      }
      throw new JobConflictError(provider, undefined, `provider ${provider} is already syncing: its lock changed hands while this run tried to take it over; try again`);
    } finally {
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  /** Pushes the lease forward; called by the holder's timer. */
  async renew(): Promise<void> {
    if (this.released) return;
    const held = await inspect(this.file);
    // Never renew a lock that another run took over after our lease expired.
    if (!held?.owner || held.owner.jobId !== this.owner.jobId || held.owner.pid !== this.owner.pid) return;
    const now = new Date();
    await utimes(this.file, now, now).catch(() => undefined);
  }

  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
    const held = await inspect(this.file);
    if (held?.owner?.jobId === this.owner.jobId && held.owner.pid === this.owner.pid) await rm(this.file, { force: true });
  }
}

interface HeldLock {
  readonly owner: LockOwner | undefined;
  readonly mtimeMs: number;
  readonly ino: number;
}

async function inspect(file: string): Promise<HeldLock | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (!info) return undefined;
  const owner = await readFile(file, 'utf8').then(parseOwner, () => undefined);
  return { owner, mtimeMs: info.mtimeMs, ino: info.ino };
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.jobId === 'string' ? (value as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** Gone on this host, or a lease (or an unreadable file) older than the expiry. */
function isStale(held: HeldLock, expiryMs: number): boolean {
  if (held.owner && held.owner.host === hostname() && !processAlive(held.owner.pid)) return true;
  return Date.now() - held.mtimeMs > expiryMs;
}

/**
 * Moves the stale lock aside and removes it, but only if it is still the file judged stale:
 * if another run replaced it in between, that run's lock is put back.
 */
async function takeOver(file: string, ino: number): Promise<void> {
  const aside = `${file}.stale-${randomUUID()}`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await stat(aside).catch(() => undefined);
  if (moved && moved.ino !== ino) await link(aside, file).catch(() => undefined);
  await rm(aside, { force: true });
}

/** Temp files of a holder killed between writing its lock and linking it (same host, pid gone). */
async function removeDeadTemps(dir: string, provider: string): Promise<void> {
  const prefix = `.${provider}.${hostname()}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && !processAlive(pid)) await rm(path.join(dir, name), { force: true });
  }
}

function lockWriteError(provider: string, error: unknown): OctoError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new OctoError('config', `cannot take the lock for provider ${provider}: the disk of the work directory (workDir) is full; free space there and run again`, { cause: error, fatal: true });
  }
  return new OctoError('config', `cannot take the lock for provider ${provider} in the work directory (workDir): ${code ?? (error as Error).message}; check that it exists and is writable`, { cause: error, fatal: true });
}
