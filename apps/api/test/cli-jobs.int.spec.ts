import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type OctoRuntime } from '@octo/core';
import { bullmqConnection, FileWorker } from '@octo/core/queue';
import { exampleProvider } from '@octo/provider-example';
import { createOctoApi, type OctoApi } from '@octo/server';
import { runOctoCli, startLatencyProxy, startRedis, startSshd, type LatencyProxy, type OctoCliRun, type RedisServer, type SshdServer } from '@octo/testing';
import { createTempWorkspace, readSse, type TempWorkspace, TEST_ENV, testApiConfig, TEST_TOKEN } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const FILES = ['report_20261101.csv', 'report_20261102.csv', 'report_20261103.csv', 'report_20261104.csv', 'report_20261105.csv'];

// With Redis, distributed mode: the CLI's sync queues its files and a worker (here, in the test's process) lands them.
describe.each(['files in the work directory', 'Redis'])('a job started by octo sync, seen through the API (job store: %s)', (storeKind) => {
  let redis: RedisServer | undefined;
  let workerRuntime: OctoRuntime | undefined;
  let worker: FileWorker | undefined;
  let sshd: SshdServer;
  let proxy: LatencyProxy;
  let w: TempWorkspace;
  let api: OctoApi;
  let base: string;

  beforeAll(async () => {
    if (storeKind === 'Redis') redis = await startRedis();
    sshd = await startSshd();
    // A far-away partner: every SFTP round trip takes 300 ms, so the job runs for seconds.
    proxy = await startLatencyProxy(sshd.port, { roundTripMs: 300 });
    const drop = path.join(sshd.dropDir, 'cli-jobs');
    await mkdir(drop, { recursive: true });
    for (const [i, name] of FILES.entries()) await writeFile(path.join(drop, name), `id,amount\n${i},${i * 10}\n`);
    w = await createTempWorkspace({
      provider: 'example',
      bucket: 'cli-bucket',
      providerConfig: {
        settings: { seed: false },
        source: { url: `sftp://${sshd.user}@127.0.0.1:${proxy.port}${drop}`, hostKey: sshd.hostKeyFingerprint, privateKey: `file:${sshd.userKeyFile}` },
      },
      config: { concurrency: 1, api: testApiConfig(), ...(redis ? { queue: redis.url } : {}) },
    });
    api = await createOctoApi({ loaded: w.loaded, plugins: [exampleProvider], env: TEST_ENV, logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }) });
    base = await api.listen();
    if (redis) {
      const url = redis.url;
      workerRuntime = await createOctoRuntime({ loaded: w.loaded, plugins: [exampleProvider] });
      worker = new FileWorker(workerRuntime.providers, { concurrency: 1, connect: () => bullmqConnection(url) });
      await worker.start();
    }
  });

  afterAll(async () => {
    await worker?.close(0);
    await workerRuntime?.close();
    await api?.shutdown(0);
    await proxy?.stop();
    await sshd?.stop();
    await redis?.stop();
    await w?.cleanup();
  });

  const get = async (url: string) => (await fetch(`${base}${url}`, { headers: auth })).json();

  it('should list it, stream it, count it in /metrics and refuse a second start while it runs, and keep it after', async () => {
    const cli: Promise<OctoCliRun> = runOctoCli(['sync', 'example', '--json', '--config', w.configFile]);
    let running: { id: string; status: string } | undefined;
    for (const until = Date.now() + 30_000; !running && Date.now() < until; await new Promise((resolve) => setTimeout(resolve, 100))) {
      running = (await get('/v1/jobs?provider=example')).items.find((job: { status: string }) => job.status === 'running');
    }
    if (!running) throw new Error(`no running job; the CLI ended with ${JSON.stringify(await Promise.race([cli, new Promise((r) => setTimeout(() => r('still running'), 5000))]))}`);
    const id = running!.id;

    expect((await get('/v1/providers')).items[0]).toMatchObject({ name: 'example', runningJobId: id });
    expect(await (await fetch(`${base}/metrics`, { headers: auth })).text()).toContain('octo_jobs_running{provider="example"} 1');
    const second = await fetch(`${base}/v1/providers/example/jobs`, { method: 'POST', headers: auth });
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ jobId: id });
    if (!redis) {
      // Distributed mode cancels a job of another process (api-distributed.int.spec.ts); the embedded default says where it runs.
      const cancel = await fetch(`${base}/v1/jobs/${id}`, { method: 'DELETE', headers: auth });
      expect(cancel.status).toBe(409);
      const owner = (await api.runtime.jobStore.get(id))!.owner;
      expect((await cancel.json()).message).toBe(`job ${id} runs in another process (pid ${owner.pid} on ${os.hostname()}); cancel it there (an API in distributed mode, with queue: redis://..., can cancel any job)`);
    }

    // Its event stream, read from the job store while another process writes it.
    const response = await fetch(`${base}/v1/jobs/${id}/events`, { headers: auth });
    const events: Array<{ event: string; data: any; id?: string }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form JSON events
    for await (const event of readSse(response.body!)) events.push(event);
    expect(events[0]!.event).toBe('job.state');
    expect(events.at(-1)).toEqual({ event: 'end', data: { jobId: id } });
    const finished = events.at(-2)!;
    expect(finished.event).toBe('job.finished');
    expect(finished.data.summary).toMatchObject({ jobId: id, status: 'succeeded', total: FILES.length, succeeded: FILES.length, failed: 0 });
    const ids = events.slice(0, -1).map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    // The state plus the file.done events that followed it name every file once.
    const done = [...events[0]!.data.files.map((file: { path: string }) => file.path), ...events.filter((event) => event.event === 'file.done').map((event) => event.data.path)];
    expect(done.sort()).toEqual(FILES);

    const run = await cli;
    expect(run.code).toBe(0);
    expect(run.summaries).toEqual([expect.objectContaining({ jobId: id, status: 'succeeded', succeeded: FILES.length })]);
    expect(await get(`/v1/jobs/${id}`)).toMatchObject({ id, status: 'succeeded', counts: { total: FILES.length, succeeded: FILES.length, failed: 0 }, inFlight: [] });
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(metrics).toContain('octo_jobs_running{provider="example"} 0');
    expect(metrics).toContain('octo_jobs_total{provider="example",status="succeeded"} 1');
    expect(metrics).toMatch(new RegExp(`octo_files_ingested_total\\{provider="example"\\} ${FILES.length}\\n`));
    // Where the job lives: one store or the other, never both.
    expect(existsSync(path.join(w.workDir, 'jobs', `${id}.json`))).toBe(storeKind !== 'Redis');
    const reconnect = await fetch(`${base}/v1/jobs/${id}/events`, { headers: { ...auth, 'last-event-id': finished.id! } });
    expect(reconnect.status).toBe(204);
  });
});
