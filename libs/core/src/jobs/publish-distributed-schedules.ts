import type { LoadedConfig } from '../config/load-config.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import { redisUrlOf } from './open-job-store.js';

/**
 * In distributed mode, upserts the config's schedules as BullMQ job schedulers in Redis
 * (removing those of providers no longer scheduled) and returns true: the workers then run
 * them, one sync per tick, so this process must not tick itself. In the embedded default it
 * does nothing and returns false (BullMQ is never loaded).
 */
export async function publishDistributedSchedules(loaded: LoadedConfig, logger: Logger = silentLogger, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const url = redisUrlOf(loaded, env);
  if (!url) return false;
  const [{ publishJobSchedulers }, { configuredSchedules }, { bullmqConnection }] = await Promise.all([
    import('../queue/schedule-worker.js'),
    import('../queue/job-schedulers.js'),
    import('../queue/bullmq-job-runner.js'),
  ]);
  const connection = bullmqConnection(url);
  try {
    const changes = await publishJobSchedulers(configuredSchedules(loaded.config.providers), connection);
    logger.info('schedules run by the workers (BullMQ job schedulers in Redis)', { ...changes });
  } finally {
    await connection.quit().catch(() => connection.disconnect());
  }
  return true;
}
