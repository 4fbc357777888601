import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OctoError, type Logger } from '@octo/core';
import { jobStoreContract, RedisJobStore } from '@octo/core/testing';
import { startRedis, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let cases = 0;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

// Each case gets its own key prefix, so cases do not see each other's jobs.
jobStoreContract('RedisJobStore', async () => {
  cases += 1;
  const store = await RedisJobStore.connect(redis.url, { prefix: `octo-test-${cases}:` });
  return { store, close: () => store.close() };
});

describe(RedisJobStore, () => {
  const warnings: string[] = [];
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (message) => void warnings.push(message), error: () => undefined };

  describe('when Redis may evict keys', () => {
    it('should warn that jobs and queued work could vanish, and stay quiet on noeviction', async () => {
      const evicting = await startRedis({ maxmemoryPolicy: 'allkeys-lru' });
      try {
        const store = await RedisJobStore.connect(evicting.url, { logger });
        expect(await store.checkEvictionPolicy()).toBe('allkeys-lru');
        await store.close();
      } finally {
        await evicting.stop();
      }
      expect(warnings).toEqual([
        'Redis maxmemory-policy is allkeys-lru, not noeviction: under memory pressure Redis may delete jobs and queued work; set maxmemory-policy noeviction',
      ]);
      warnings.length = 0;
      const store = await RedisJobStore.connect(redis.url, { logger });
      expect(await store.checkEvictionPolicy()).toBe('noeviction');
      await store.close();
      expect(warnings).toEqual([]);
    });
  });

  describe('when Redis cannot be reached', () => {
    it('should fail as a config error naming the URL without its password', async () => {
      const down = await startRedis();
      await down.stop();
      const error = await RedisJobStore.connect(`redis://octo:s3cret-value@127.0.0.1:${down.port}`, { connectTimeoutMs: 1000 }).catch((caught: unknown) => caught);
      expect(OctoError.is(error) && error.kind).toBe('config');
      expect((error as Error).message).toMatch(new RegExp(`^cannot reach Redis at redis://octo:\\*\\*\\*@127\\.0\\.0\\.1:${down.port} \\(queue / OCTO_REDIS_URL\\): .+; check that it runs and that the URL is right$`));
      expect((error as Error).message).not.toContain('s3cret-value');
    });
  });
});
