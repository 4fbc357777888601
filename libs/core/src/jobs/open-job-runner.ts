import type { LoadedConfig } from '../config/load-config.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import { InProcessJobRunner, type InProcessJobRunnerOptions } from './in-process-job-runner.js';
import type { JobRunner } from './job-runner.js';
import { redisUrlOf } from './open-job-store.js';

/**
 * The job runner the config asks for: BullMQ on Redis when `OCTO_REDIS_URL` or `queue:` names
 * one (distributed mode: files go to `octo worker` processes), else the in-process runner. BullMQ
 * is imported only then, so the embedded default never loads it.
 */
export async function openJobRunner(factory: ProviderFactory, loaded: LoadedConfig, options: InProcessJobRunnerOptions, env: NodeJS.ProcessEnv = process.env): Promise<JobRunner> {
  const url = redisUrlOf(loaded, env);
  if (!url) return new InProcessJobRunner(factory, loaded, options);
  const { BullmqJobRunner } = await import('../queue/bullmq-job-runner.js');
  return BullmqJobRunner.connect(factory, loaded, url, options);
}
