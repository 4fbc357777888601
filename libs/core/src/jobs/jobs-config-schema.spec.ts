import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/config-schema.js';

const base = { store: 'file://buckets', providers: {} };
const issues = (input: Record<string, unknown>) => (configSchema.safeParse({ ...base, ...input }).error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);

describe('the jobs and queue config', () => {
  describe('when left out', () => {
    it('should keep 1000 finished jobs for 30 days, sync 4 providers at once, and use no Redis', () => {
      const config = configSchema.parse(base);
      expect(config.jobs).toEqual({ retention: { maxJobs: 1000, maxAgeDays: 30 }, providersAtOnce: 4 });
      expect(config.queue).toBeUndefined();
    });
  });

  describe('when queue is set', () => {
    it('should take a Redis URL and refuse anything else, or a password written in config', () => {
      expect(issues({ queue: 'redis://127.0.0.1:6379/2' })).toEqual([]);
      expect(issues({ queue: 'rediss://redis.internal:6380' })).toEqual([]);
      expect(issues({ queue: 'http://127.0.0.1:6379' })).toEqual(['queue: expected a Redis URL such as redis://127.0.0.1:6379']);
      expect(issues({ queue: 'redis://octo:hunter2@127.0.0.1:6379' })).toEqual([
        'queue: the Redis password must not be written in config: set OCTO_REDIS_URL=redis://user:password@host:port instead',
      ]);
    });
  });

  describe('when retention is set', () => {
    it('should name a bad field', () => {
      expect(issues({ jobs: { retention: { maxJobs: 0 } } })).toEqual(['jobs.retention.maxJobs: Too small: expected number to be >=1']);
      expect(issues({ jobs: { keep: 3 } })).toEqual(['jobs: Unrecognized key: "keep"']);
    });
  });
});
