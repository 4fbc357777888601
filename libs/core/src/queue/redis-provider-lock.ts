import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { OctoError } from '../errors/octo-error.js';
import { JobConflictError } from '../jobs/job-conflict-error.js';
import type { LockOwner } from '../jobs/provider-lock.js';
import { providerLockKey } from './queue-names.js';

/** The lease of a Redis provider lock, renewed at a third of it: a holder that died frees the provider after this long. */
export const REDIS_LOCK_LEASE_MS = 30_000;

// Renew or release only while the lock is still ours (a lease that expired may have been taken).
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * One sync per provider at a time across every machine sharing a Redis (distributed mode): a
 * key set only if absent, holding its owner, with a lease the holder renews. A holder that died
 * frees the provider when its lease ends, with nothing to clean up.
 */
export class RedisProviderLock {
  private readonly timer: NodeJS.Timeout;
  private released = false;

  private constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly value: string,
    readonly owner: LockOwner,
    private readonly leaseMs: number,
  ) {
    // A renewal that fails (Redis restarting) does not end the job: the next one may succeed.
    this.timer = setInterval(() => void this.renew().catch(() => undefined), Math.max(100, Math.floor(leaseMs / 3)));
    this.timer.unref();
  }

  /** Takes the lock of `provider` for `jobId`, or throws {@link JobConflictError} naming the job that holds it. */
  static async acquire(redis: Redis, provider: string, jobId: string, leaseMs = REDIS_LOCK_LEASE_MS): Promise<RedisProviderLock> {
    const owner: LockOwner = { pid: process.pid, host: hostname(), jobId, at: new Date().toISOString() };
    const key = providerLockKey(provider);
    const value = JSON.stringify(owner);
    let taken: string | null;
    try {
      taken = await redis.set(key, value, 'PX', leaseMs, 'NX');
    } catch (error) {
      throw new OctoError('config', `cannot take the lock of provider ${provider} in Redis: ${(error as Error).message}; check that Redis runs`, { cause: error, fatal: true });
    }
    if (taken === 'OK') return new RedisProviderLock(redis, key, value, owner, leaseMs);
    const held = parseOwner(await redis.get(key).catch(() => null));
    throw new JobConflictError(
      provider,
      held?.jobId,
      `provider ${provider} is already syncing (job ${held?.jobId ?? 'unknown'}, pid ${held?.pid ?? '?'} on ${held?.host ?? '?'}); wait for it to finish`,
    );
  }

  /** The job holding `provider`'s lock now, if any. */
  static async holder(redis: Redis, provider: string): Promise<LockOwner | undefined> {
    return parseOwner(await redis.get(providerLockKey(provider)));
  }

  /** Pushes the lease forward (the holder's timer does it). */
  async renew(): Promise<boolean> {
    if (this.released) return false;
    return (await this.redis.eval(RENEW, 1, this.key, this.value, String(this.leaseMs))) === 1;
  }

  async release(): Promise<void> {
    this.released = true;
    clearInterval(this.timer);
    await this.redis.eval(RELEASE, 1, this.key, this.value).catch(() => undefined);
  }
}

function parseOwner(text: string | null): LockOwner | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    return typeof value.jobId === 'string' && typeof value.pid === 'number' && typeof value.host === 'string' ? (value as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}
