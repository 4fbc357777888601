import { describe, expect, it } from 'vitest';
import { createRootContainer } from '../container/create-root-container.js';
import { ProviderFactory } from '../providers/provider-factory.js';
import { FileJobStore } from './file-job-store.js';
import { InProcessJobRunner } from './in-process-job-runner.js';
import { openJobRunner } from './open-job-runner.js';
import type { LoadedConfig } from '../config/load-config.js';
import { configSchema } from '../config/config-schema.js';

describe(openJobRunner, () => {
  const loaded = (queue?: string): LoadedConfig =>
    ({ file: '/cfg/octo.config.yaml', baseDir: '/cfg', config: configSchema.parse({ store: 'file:///tmp/b', providers: {}, ...(queue ? { queue } : {}) }) }) as LoadedConfig;
  const open = (config: LoadedConfig, env: NodeJS.ProcessEnv) =>
    openJobRunner(new ProviderFactory(createRootContainer(), [], config), config, { store: new FileJobStore('/tmp/octo-open-runner'), retention: { maxJobs: 1, maxAgeDays: 1 } }, env);

  it('should run jobs in this process when no Redis is configured (the embedded default)', async () => {
    const runner = await open(loaded(), {});
    expect(runner).toBeInstanceOf(InProcessJobRunner);
    expect(runner.constructor.name).toBe('InProcessJobRunner');
  });

  it('should switch to BullMQ with OCTO_REDIS_URL, and fail as a config error when that Redis cannot be reached', async () => {
    const error = (await open(loaded(), { OCTO_REDIS_URL: 'redis://127.0.0.1:1' }).catch((caught: unknown) => caught)) as Error & { kind?: string };
    expect(error.kind).toBe('config');
    expect(error.message).toMatch(/^cannot reach Redis for the job queue \(queue \/ OCTO_REDIS_URL\): .+; check that it runs and that the URL is right$/);
  });
});
