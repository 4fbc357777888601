import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type JobHandle, type LoadedConfig, type OctoRuntime } from '@octo/core';
import { bullmqConnection, FileWorker } from '@octo/core/queue';
import { startRedis, type RedisServer } from '@octo/testing';
import { createTestPartnerWorkspace, ledgerRecords, listBucket, slowTestPartnerProvider, stagingLeftovers, type TempWorkspace, testPartnerProvider, writeSlowDrop } from '@octo/core/testing';

const plugins = [testPartnerProvider, slowTestPartnerProvider];

/** Workers of distributed mode in this process, on a persistent Redis: stopping one mid-file, and Redis restarting mid-job. */
describe('FileWorker', () => {
  let redis: RedisServer;
  let setup: TempWorkspace;
  let loaded: LoadedConfig;
  let runtime: OctoRuntime;
  const workers: FileWorker[] = [];

  const startWorker = async () => {
    const worker = new FileWorker(runtime.providers, { concurrency: 4, connect: () => bullmqConnection(redis.url), lockDurationMs: 5_000 });
    workers.push(worker);
    await worker.start();
    return worker;
  };
  const until = async (condition: () => boolean, what: string) => {
    for (const end = Date.now() + 20_000; !condition(); await new Promise((resolve) => setTimeout(resolve, 25))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    }
  };
  const slowInFlight = (job: JobHandle) => [...job.state.inFlight].some(([file, state]) => file.startsWith('slow_') && state.bytes > 0 && state.bytes < state.size);

  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
    setup = await createTestPartnerWorkspace({ slow: true });
    loaded = { ...setup.loaded, config: { ...setup.loaded.config, queue: redis.url } };
    runtime = await createOctoRuntime({ loaded, plugins });
  });

  afterAll(async () => {
    for (const worker of workers) await worker.close(0).catch(() => undefined);
    await runtime?.close();
    await setup?.cleanup();
    await redis?.stop();
  });

  describe('when it is stopped with a file in flight and the deadline passes', () => {
    it('should abort the file, hand it back to the queue, and let another worker land it (its result says it was retried)', async () => {
      await writeSlowDrop(setup.dropDirOf('slow-example'), { fast: 2, slow: 1, slowBytes: 1024 * 1024 });
      const first = await startWorker();
      const job = await runtime.jobs.start('slow-example', { concurrency: 3 });
      await until(() => slowInFlight(job) && job.state.report.succeeded === 2, 'the slow file in flight');
      const stopped = await first.close(200);
      expect(stopped).toEqual({ finished: 0, requeued: 1 });
      const bucketRoot = setup.bucketDirOf('slow-bucket');
      // Nothing of the aborted file is visible or staged.
      expect([...(await listBucket(bucketRoot)).keys()].filter((key) => key.includes('slow_'))).toEqual([]);
      expect(await stagingLeftovers(bucketRoot)).toEqual([]);

      await startWorker();
      const summary = await job.done;
      expect(summary).toMatchObject({ status: 'succeeded', total: 3, succeeded: 3, failed: 0 });
      expect(summary.files.map((file) => [file.path, file.attempt === undefined ? 'first' : file.attempt >= 2 ? 'retried' : file.attempt])).toEqual([
        ['fast_20261101.csv', 'first'],
        ['fast_20261102.csv', 'first'],
        ['slow_20261111.csv', 'retried'],
      ]);
      expect((await ledgerRecords(bucketRoot, 'slow-example')).map((record) => record.path).sort()).toEqual(['fast_20261101.csv', 'fast_20261102.csv', 'slow_20261111.csv']);
      expect(await stagingLeftovers(bucketRoot)).toEqual([]);
    });
  });

  describe('when Redis restarts mid-job', () => {
    it('should reconnect and complete the job, every file landed once', async () => {
      await writeSlowDrop(setup.dropDirOf('slow-example'), { fast: 0, slow: 3, slowBytes: 768 * 1024 });
      const job = await runtime.jobs.start('slow-example', { concurrency: 3 });
      await until(() => slowInFlight(job), 'a slow file in flight');
      await redis.restart(500);
      const summary = await job.done;
      expect(summary.error).toBeUndefined();
      // slow_20261111.csv is a resend (another size) of the file the first case landed.
      expect(summary).toMatchObject({ status: 'succeeded', total: 3, succeeded: 3, failed: 0 });
      const bucketRoot = setup.bucketDirOf('slow-bucket');
      expect(await ledgerRecords(bucketRoot, 'slow-example')).toHaveLength(6);
      expect([...(await listBucket(bucketRoot)).keys()].filter((key) => key.includes('slow_')).sort()).toEqual([
        'data/csv/slow-example/2026-11-11/slow_20261111.csv',
        'data/csv/slow-example/2026-11-12/slow_20261112.csv',
        'data/csv/slow-example/2026-11-13/slow_20261113.csv',
      ]);
      // The job's report in Redis says how it ended, after the restart.
      expect((await runtime.jobStore.get(job.id))?.status).toBe('succeeded');
    });
  });
});
