import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type LoadedConfig, type OctoRuntime } from '@octo/core';
import { bullmqConnection, FileWorker } from '@octo/core/queue';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { startRedis, type RedisServer } from '@octo/testing';
import { createTestPartnerWorkspace, ledgerRecords, listBucket, readSse, slowTestPartnerProvider, stagingLeftovers, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider, writeSlowDrop } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const plugins = [testPartnerProvider, slowTestPartnerProvider];

/** The API in distributed mode: two API processes' worth of servers on one Redis, and a file worker taking the files. */
describe('the Octo API in distributed mode (queue: redis://)', () => {
  let redis: RedisServer;
  let setup: TempWorkspace;
  let loaded: LoadedConfig;
  let api: OctoApi;
  let other: OctoApi;
  let base: string;
  let otherBase: string;
  let workerRuntime: OctoRuntime;
  let worker: FileWorker;

  const post = (url: string, provider: string, body: unknown, headers: Record<string, string> = auth) =>
    fetch(`${url}/v1/providers/${provider}/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const follow = async (url: string, id: string, onEvent?: (event: { event: string; data: { path?: string; bytes?: number; size?: number } }) => Promise<void>) => {
    const events: Array<{ event: string; data: any }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON events
    for await (const event of readSse((await fetch(`${url}/v1/jobs/${id}/events`, { headers: auth })).body!)) {
      events.push(event as (typeof events)[number]);
      await onEvent?.(event as (typeof events)[number]);
    }
    return events;
  };

  beforeAll(async () => {
    redis = await startRedis();
    setup = await createTestPartnerWorkspace({ slow: true });
    loaded = { ...setup.loaded, config: { ...setup.loaded.config, queue: redis.url } };
    // The other API as on another machine: its own work directory, so only Redis can tell it the provider is syncing.
    const elsewhere = { ...loaded, config: { ...loaded.config, workDir: path.join(setup.dir, 'work-elsewhere') } };
    [api, other] = await Promise.all([createOctoApi({ loaded, plugins, env: TEST_ENV }), createOctoApi({ loaded: elsewhere, plugins, env: TEST_ENV })]);
    [base, otherBase] = await Promise.all([api.listen(), other.listen()]);
    workerRuntime = await createOctoRuntime({ loaded, plugins });
    worker = new FileWorker(workerRuntime.providers, { concurrency: 4, connect: () => bullmqConnection(redis.url), lockDurationMs: 5_000 });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.close(0);
    await workerRuntime?.close();
    await Promise.all([api?.shutdown(0), other?.shutdown(0)]);
    await setup?.cleanup();
    await redis?.stop();
  });

  it('should answer 401 without a token, or with a wrong one, and start nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer 0000000000000000000000000000000000' }]) {
      const response = await post(base, 'slow-example', {}, headers as Record<string, string>);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    expect(await (await fetch(`${base}/v1/jobs`, { headers: auth })).json()).toMatchObject({ items: [], total: 0 });
  });

  it('should refuse a second start with 409 naming the running job, from either API, and cancel it from the API that did not start it', async () => {
    await writeSlowDrop(setup.dropDirOf('slow-example'), { fast: 3, slow: 2, slowBytes: 1024 * 1024 });
    const started = await post(base, 'slow-example', { concurrency: 5 });
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string };
    for (const url of [base, otherBase]) {
      const second = await post(url, 'slow-example', {});
      expect(second.status).toBe(409);
      expect(await second.json()).toMatchObject({ statusCode: 409, jobId: job.id });
    }
    let cancel: Response | undefined;
    const events = await follow(base, job.id, async (event) => {
      if (!cancel && event.event === 'file.progress' && event.data.path?.startsWith('slow_') && (event.data.bytes ?? 0) < (event.data.size ?? 0)) {
        // The other API does not run this job: its cancel goes through Redis to the process that does.
        cancel = await fetch(`${otherBase}/v1/jobs/${job.id}`, { method: 'DELETE', headers: auth });
      }
    });
    expect(cancel?.status).toBe(200);
    expect(await cancel!.json()).toMatchObject({ id: job.id, status: 'cancelled' });
    const summary = events.find((event) => event.event === 'job.finished')!.data.summary;
    expect(summary.status).toBe('cancelled');
    for (const file of summary.files.filter((f: { path: string }) => f.path.startsWith('slow_'))) expect(file).toMatchObject({ status: 'failed', kind: 'cancelled' });
    const bucketRoot = setup.bucketDirOf('slow-bucket');
    const landed = [...(await listBucket(bucketRoot)).keys()].filter((key) => key.includes('slow_'));
    expect(landed).toEqual([]);
    expect(await stagingLeftovers(bucketRoot)).toEqual([]);
    expect((await ledgerRecords(bucketRoot, 'slow-example')).map((record) => record.path).filter((p) => p.startsWith('slow_'))).toEqual([]);

    // The rerun takes exactly what did not land (their file job ids are free again).
    const rerun = (await (await post(otherBase, 'slow-example', { concurrency: 2 })).json()) as { id: string };
    const rerunSummary = (await follow(otherBase, rerun.id)).find((event) => event.event === 'job.finished')!.data.summary;
    expect(rerunSummary.status).toBe('succeeded');
    expect(rerunSummary.succeeded + summary.succeeded).toBe(5);
    expect(await ledgerRecords(bucketRoot, 'slow-example')).toHaveLength(5);
  });

  it('should answer 409 for a cancel of a job that ended', async () => {
    const jobs = (await (await fetch(`${base}/v1/jobs?provider=slow-example&status=succeeded`, { headers: auth })).json()) as { items: Array<{ id: string }> };
    const id = jobs.items[0]!.id;
    const response = await fetch(`${otherBase}/v1/jobs/${id}`, { method: 'DELETE', headers: auth });
    expect(response.status).toBe(409);
    expect((await response.json()).message).toBe(`job ${id} is not running (it is succeeded)`);
  });
});
