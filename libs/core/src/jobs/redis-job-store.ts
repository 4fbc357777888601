import type { Redis } from 'ioredis';
import { OctoError } from '../errors/octo-error.js';
import type { Logger } from '../ports/logger.js';
import { silentLogger } from '../ports/logger.js';
import { newestJobReportFirst, type JobReport } from './job-report.js';
import { saveInterrupted, withLiveness } from './job-liveness.js';
import type { JobRetention, JobStore, StoredJobEvent } from './job-store.js';
import { jobsToPrune } from './jobs-to-prune.js';

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/**
 * Jobs in Redis, for processes on several machines: `<prefix>report:<id>` the report (JSON),
 * `<prefix>events:<id>` its events (a list, appended in order), `<prefix>index` every job by
 * when it was accepted (a sorted set). Redis must keep what it is given
 * (`maxmemory-policy noeviction`, see {@link RedisJobStore.checkEvictionPolicy}).
 */
export class RedisJobStore implements JobStore {
  private constructor(
    private readonly redis: Redis,
    private readonly url: string,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** Connects to `url` (`redis://[user:password@]host:port[/db]`, or `rediss://`); fails clearly when Redis cannot be reached. */
  static async connect(url: string, options: { logger?: Logger; prefix?: string; connectTimeoutMs?: number } = {}): Promise<RedisJobStore> {
    const logger = options.logger ?? silentLogger;
    const shown = redactedRedisUrl(url);
    // Loaded only when Redis is configured: the embedded default never pays for it.
    const { Redis: RedisClient } = await import('ioredis');
    const redis = new RedisClient(url, { lazyConnect: true, connectTimeout: options.connectTimeoutMs ?? 10_000, maxRetriesPerRequest: 3, enableOfflineQueue: true });
    // ioredis reconnects by itself; say so once per outage, not once per retry.
    let down = false;
    redis.on('error', (error: Error) => {
      if (down) return;
      down = true;
      logger.warn('lost the connection to Redis; reconnecting', { redis: shown, error: error.message });
    });
    redis.on('ready', () => {
      if (down) logger.info('reconnected to Redis', { redis: shown });
      down = false;
    });
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new OctoError('config', `cannot reach Redis at ${shown} (queue / OCTO_REDIS_URL): ${(error as Error).message}; check that it runs and that the URL is right`, { cause: error, fatal: true });
    }
    return new RedisJobStore(redis, shown, options.prefix ?? 'octo:jobs:', logger);
  }

  /**
   * Warns when Redis may evict keys under memory pressure (anything but `noeviction`): jobs and
   * queued work would silently vanish. Returns the policy, or undefined when Redis does not say.
   */
  async checkEvictionPolicy(): Promise<string | undefined> {
    let policy: string | undefined;
    try {
      const reply = (await this.redis.config('GET', 'maxmemory-policy')) as string[];
      policy = reply[1];
    } catch (error) {
      this.logger.warn('cannot read Redis maxmemory-policy (CONFIG GET refused); make sure it is noeviction', { redis: this.url, error: (error as Error).message });
      return undefined;
    }
    if (policy !== 'noeviction') {
      this.logger.warn(`Redis maxmemory-policy is ${policy}, not noeviction: under memory pressure Redis may delete jobs and queued work; set maxmemory-policy noeviction`, { redis: this.url, policy });
    }
    return policy;
  }

  async save(report: JobReport): Promise<void> {
    const id = checkedId(report.jobId);
    await this.run('write the report of job', id, () =>
      this.redis
        .multi()
        .set(this.key('report', id), JSON.stringify(report))
        .zadd(this.key('index'), Date.parse(report.createdAt) || 0, id)
        .exec(),
    );
  }

  async get(jobId: string): Promise<JobReport | undefined> {
    if (!JOB_ID.test(jobId)) return undefined;
    const text = await this.run('read job', jobId, () => this.redis.get(this.key('report', jobId)));
    const report = text === null ? undefined : parseReport(text);
    return report && withLiveness(report);
  }

  async list(): Promise<JobReport[]> {
    return (await this.listRaw()).map((report) => withLiveness(report));
  }

  async appendEvents(jobId: string, events: readonly StoredJobEvent[]): Promise<void> {
    if (events.length === 0) return;
    const id = checkedId(jobId);
    await this.run('write the events of job', id, () => this.redis.rpush(this.key('events', id), ...events.map((stored) => JSON.stringify(stored))));
  }

  async readEvents(jobId: string, afterId = 0): Promise<StoredJobEvent[]> {
    if (!JOB_ID.test(jobId)) return [];
    const lines = await this.run('read the events of job', jobId, () => this.redis.lrange(this.key('events', jobId), 0, -1));
    return lines.map((line) => JSON.parse(line) as StoredJobEvent).filter((stored) => stored.id > afterId);
  }

  async recoverInterrupted(now = new Date()): Promise<JobReport[]> {
    return saveInterrupted(await this.listRaw(), (report) => this.save(report), now);
  }

  async prune(retention: JobRetention, now = new Date()): Promise<string[]> {
    const removed = jobsToPrune(await this.list(), retention, now);
    for (const id of removed) {
      await this.run('remove job', id, () => this.redis.multi().del(this.key('report', id), this.key('events', id)).zrem(this.key('index'), id).exec());
    }
    return removed;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async listRaw(): Promise<JobReport[]> {
    const ids = await this.run('list', 'jobs', () => this.redis.zrange(this.key('index'), 0, -1));
    if (ids.length === 0) return [];
    const texts = await this.run('list', 'jobs', () => this.redis.mget(ids.map((id) => this.key('report', id))));
    return texts.flatMap((text) => (text === null ? [] : [parseReport(text)].filter((report) => report !== undefined))).sort(newestJobReportFirst);
  }

  private key(kind: 'report' | 'events' | 'index', id?: string): string {
    return id === undefined ? `${this.prefix}${kind}` : `${this.prefix}${kind}:${id}`;
  }

  /** Runs one Redis call; its failure says what could not be done and where. */
  private async run<T>(what: string, id: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new OctoError('store', `cannot ${what} ${id} in Redis at ${this.url}: ${(error as Error).message}; check that Redis runs and has memory left`, { cause: error });
    }
  }
}

function checkedId(jobId: string): string {
  if (!JOB_ID.test(jobId)) throw new OctoError('internal', `"${jobId}" is not a valid job id`);
  return jobId;
}

function parseReport(text: string): JobReport | undefined {
  try {
    const report = JSON.parse(text) as JobReport;
    return report.version === 1 && typeof report.jobId === 'string' ? report : undefined;
  } catch {
    return undefined;
  }
}

/** A Redis URL as logs and messages may show it: without its password. */
export function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an invalid Redis URL)';
  }
}
