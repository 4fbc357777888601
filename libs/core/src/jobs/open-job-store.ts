import { resolvePath, type LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../ports/logger.js';
import { FileJobStore } from './file-job-store.js';
import type { JobStore } from './job-store.js';
import { RedisJobStore } from './redis-job-store.js';

/**
 * The job store the config asks for: Redis when `OCTO_REDIS_URL` or `queue:` names one (every
 * machine with that config then sees the same jobs; Redis's eviction policy is checked), else
 * files in the work directory (the embedded default, no Redis at all).
 */
export async function openJobStore(loaded: LoadedConfig, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<JobStore & { close?(): Promise<void> }> {
  const url = redisUrlOf(loaded, env);
  if (!url) return new FileJobStore(resolvePath(loaded.baseDir, loaded.config.workDir), logger);
  const store = await RedisJobStore.connect(url, { logger });
  await store.checkEvictionPolicy();
  return store;
}

/** The Redis of distributed mode, when there is one: `OCTO_REDIS_URL` (which may hold a password), else `queue:`. */
export function redisUrlOf(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env['OCTO_REDIS_URL'] || loaded.config.queue || undefined;
}
