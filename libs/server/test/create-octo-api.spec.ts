import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { hostname } from 'node:os';
import { loadConfig, type JobReport } from '@octo/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { createTestPartnerWorkspace, FileJobStore, ProviderLock, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

describe(createOctoApi, () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let logs: string[];

  const build = async (overrides: Parameters<typeof createOctoApi>[0]['api'] = {}) => {
    logs = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    });
    return createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV, api: { logLevel: 'info', ...overrides }, logDestination: destination });
  };

  beforeEach(async () => {
    setup = await createTestPartnerWorkspace();
    api = await build();
  });

  afterEach(async () => {
    await api.shutdown(0);
    await setup.cleanup();
  });

  /** Runs one job to its end through the API and returns its final view. */
  const runJob = async (body: Record<string, unknown> = {}) => {
    const started = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: body });
    expect(started.statusCode).toBe(202);
    const id = started.json().id as string;
    // Done means the final report is in the job store and the provider is free.
    await api.runtime.jobs.get(id)!.done;
    expect(await api.jobs.runningJobId('example')).toBeUndefined();
    return (await api.jobs.get(id))!;
  };

  describe('when a request has no valid bearer token', () => {
    it('should answer 401 and start nothing', async () => {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token-wrong' }, { authorization: `Basic ${TEST_TOKEN}` }, { authorization: `Bearer ${TEST_TOKEN}x` }]) {
        const response = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers, payload: {} });
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer realm="octo"');
        expect(response.json()).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'a valid bearer token is required: send Authorization: Bearer <token>' });
      }
      expect(api.runtime.jobs.list()).toHaveLength(0);
      // No job was written down, and nothing landed.
      expect(await readdir(path.join(setup.workDir, 'jobs')).catch(() => [])).toEqual([]);
      expect(existsSync(setup.bucketDir)).toBe(false);
      for (const url of ['/v1/jobs', '/v1/providers', `/v1/jobs/${randomUUID()}`, '/metrics', '/v1/nothing-here']) {
        expect((await api.app.inject({ method: 'GET', url })).statusCode).toBe(401);
      }
    });

    it('should keep /healthz, /readyz and /openapi.json open', async () => {
      expect((await api.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
      const ready = await api.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: [{ name: 'config', ok: true }, { name: 'store:example-bucket', ok: true }] });
      expect((await api.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    });

    it('should never log the token', async () => {
      await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth });
      await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization: 'Bearer not-the-token-but-secret-too' } });
      const text = logs.join('');
      expect(text).toContain('"authorization":"[redacted]"');
      expect(text).not.toContain(TEST_TOKEN);
      expect(text).not.toContain('not-the-token-but-secret-too');
      expect(text).toContain('"msg":"request refused: not authenticated"');
    });
  });

  describe('when metricsAuth is none', () => {
    it('should serve /metrics without a token, labelled per provider', async () => {
      await api.shutdown(0);
      api = await build({ metricsAuth: 'none' });
      const response = await api.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.body).toContain('octo_files_ingested_total{provider="example"} 0');
      expect(response.body).toContain('octo_jobs_running{provider="example"} 0');
    });
  });

  describe('when a provider name is checked', () => {
    it('should answer 404 for an unknown provider and 400 for a malformed one', async () => {
      const unknown = await api.app.inject({ method: 'POST', url: '/v1/providers/acme-bank/jobs', headers: auth, payload: {} });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().message).toBe('unknown provider "acme-bank": the configured providers are example');
      for (const name of ['Example', 'ex_ample', '..%2Fetc', '-example', 'a'.repeat(64)]) {
        const bad = await api.app.inject({ method: 'POST', url: `/v1/providers/${name}/jobs`, headers: auth, payload: {} });
        expect(bad.statusCode, name).toBe(400);
        expect(bad.json().message, name).toMatch(/^params\.name: provider names are/);
      }
      expect(api.runtime.jobs.list()).toHaveLength(0);
    });
  });

  describe('when a job request carries options', () => {
    it('should refuse unknown fields, so no request can choose a source, bucket or key', async () => {
      for (const field of ['bucket', 'source', 'key', 'endpoint', 'host', 'path']) {
        const response = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: { [field]: 'x' } });
        expect(response.statusCode).toBe(400);
        expect(response.json().message).toBe(`body: Unrecognized key: "${field}"`);
      }
      expect(api.runtime.jobs.list()).toHaveLength(0);
    });

    it('should keep concurrency within the configured limit', async () => {
      for (const [concurrency, message] of [
        [0, 'body.concurrency: Too small: expected number to be >=1'],
        [17, 'body.concurrency: Too big: expected number to be <=16'],
        [1.5, 'body.concurrency: Invalid input: expected int, received number'],
        ['4', 'body.concurrency: Invalid input: expected number, received string'],
      ] as const) {
        const response = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: { concurrency } });
        expect(response.statusCode).toBe(400);
        expect(response.json().message).toBe(message);
      }
      expect(api.runtime.jobs.list()).toHaveLength(0);
    });

    it('should take no body as the defaults but refuse a JSON null', async () => {
      const nullBody = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: { ...auth, 'content-type': 'application/json' }, payload: 'null' });
      expect(nullBody.statusCode).toBe(400);
      expect(nullBody.json().message).toBe('body: expected an object (or no body at all)');
      expect(api.runtime.jobs.list()).toHaveLength(0);
      const none = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth });
      expect(none.statusCode).toBe(202);
      expect(none.json()).toMatchObject({ dryRun: false, status: 'running' });
      expect(none.json().concurrency).toBeUndefined();
    });

    it('should refuse a body over the size limit with 413 and a non-JSON body with 415', async () => {
      const big = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify({ dryRun: true, pad: 'x'.repeat(20_000) }) });
      expect(big.statusCode).toBe(413);
      const text = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: { ...auth, 'content-type': 'text/plain' }, payload: 'dryRun' });
      expect(text.statusCode).toBe(415);
      expect(api.runtime.jobs.list()).toHaveLength(0);
    });

    it('should run a dry run that writes nothing and returns the plan', async () => {
      const job = await runJob({ dryRun: true });
      expect(job.status).toBe('succeeded');
      expect(job.dryRun).toBe(true);
      expect(job.counts).toEqual({ total: 8, succeeded: 0, failed: 0 });
      expect(job.plan?.map((file) => file.path)).toContain('statements_20261101.csv.gpg');
      expect(job.plan?.find((file) => file.path === 'statements_20261101.csv.gpg')?.key).toBe('data/csv/example/2026-11-01/statements_20261101.csv');
      expect(existsSync(path.join(setup.bucketDir, 'data'))).toBe(false);
    });
  });

  describe('when a dry run finds a key conflict', () => {
    it('should return it in the plan, with both source paths and the outcome', async () => {
      // Only the two conflicting files in the drop.
      await rm(setup.dropDir, { recursive: true });
      for (const side of ['a', 'b']) {
        await mkdir(path.join(setup.dropDir, side), { recursive: true });
        await writeFile(path.join(setup.dropDir, side, 'report_20261101.csv'), `${side}\n`);
      }
      const { id } = await runJob({ dryRun: true });
      // Through HTTP: the response schema must let the conflict through.
      const job = (await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: auth })).json() as { plan?: Array<{ path: string; conflict?: unknown }> };
      expect(job.plan?.find((file) => file.path === 'b/report_20261101.csv')?.conflict).toEqual({
        key: 'data/csv/example/2026-11-01/report_20261101.csv',
        owner: 'a/report_20261101.csv',
        where: 'drop',
        outcome: 'fail',
      });
      expect(job.plan?.find((file) => file.path === 'a/report_20261101.csv')?.conflict).toBeUndefined();
    });
  });

  describe('when a provider already has a job running', () => {
    it('should answer 409 with the running job id, then accept a new job once it ended', async () => {
      const first = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth });
      expect(first.statusCode).toBe(202);
      expect(first.headers.location).toBe(`/v1/jobs/${first.json().id}`);
      const second = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: { dryRun: true } });
      expect(second.statusCode).toBe(409);
      expect(second.json()).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: `provider example already has job ${first.json().id} running: one sync per provider at a time`,
        jobId: first.json().id,
      });
      await api.runtime.jobs.get(first.json().id)!.done;
      const third = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: { dryRun: true } });
      expect(third.statusCode).toBe(202);
      expect(api.runtime.jobs.list()).toHaveLength(2);
    });

    it('should start only one of two simultaneous requests', async () => {
      const [a, b] = await Promise.all([
        api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: { dryRun: true } }),
        api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: { dryRun: true } }),
      ]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
      expect(api.runtime.jobs.list()).toHaveLength(1);
    });
  });

  describe('when another process holds the provider', () => {
    it('should answer 409 with the job id from the provider lock', async () => {
      const lock = await ProviderLock.acquire(setup.workDir, 'example', 'job-of-octo-sync');
      try {
        const response = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: {} });
        expect(response.statusCode).toBe(409);
        expect(response.json().jobId).toBe('job-of-octo-sync');
        expect(response.json().message).toContain('provider example is already syncing (job job-of-octo-sync');
      } finally {
        await lock.release();
      }
    });
  });

  describe('when a job cannot start', () => {
    it('should answer 503 with the reason and keep no job', async () => {
      const file = setup.configFile;
      const config = parseYaml(await readFile(file, 'utf8'));
      config.providers['no-plugin'] = { plugin: 'not-installed', source: 'file://drop/x', bucket: 'x-bucket' };
      await writeFile(file, stringifyYaml(config));
      await api.shutdown(0);
      setup = { ...setup, loaded: await loadConfig(file) };
      api = await build();
      const response = await api.app.inject({ method: 'POST', url: '/v1/providers/no-plugin/jobs', headers: auth, payload: {} });
      expect(response.statusCode).toBe(503);
      expect(response.json().message).toBe('provider "no-plugin" uses plugin "not-installed", which is not installed: the installed plugins are test-partner');
      expect((await api.app.inject({ method: 'GET', url: '/v1/jobs', headers: auth })).json().total).toBe(0);
    });
  });

  describe('when jobs are listed', () => {
    it('should page newest first and filter by provider and status', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i += 1) ids.push((await runJob({ dryRun: true })).id);
      const page1 = await api.app.inject({ method: 'GET', url: '/v1/jobs?limit=2', headers: auth });
      expect(page1.statusCode).toBe(200);
      expect(page1.json().items.map((job: { id: string }) => job.id)).toEqual([ids[2], ids[1]]);
      expect(page1.json()).toMatchObject({ total: 3, limit: 2, offset: 0, nextOffset: 2 });
      const page2 = await api.app.inject({ method: 'GET', url: '/v1/jobs?limit=2&offset=2', headers: auth });
      expect(page2.json().items.map((job: { id: string }) => job.id)).toEqual([ids[0]]);
      expect(page2.json()).toMatchObject({ total: 3, nextOffset: null });
      const succeeded = await api.app.inject({ method: 'GET', url: '/v1/jobs?provider=example&status=succeeded', headers: auth });
      expect(succeeded.json().total).toBe(3);
      const failed = await api.app.inject({ method: 'GET', url: '/v1/jobs?status=failed', headers: auth });
      expect(failed.json()).toMatchObject({ items: [], total: 0, nextOffset: null });
      const other = await api.app.inject({ method: 'GET', url: '/v1/jobs?provider=acme-bank', headers: auth });
      expect(other.json().total).toBe(0);
    });

    it('should refuse bad filters and pages with 400', async () => {
      for (const [query, message] of [
        ['limit=101', 'querystring.limit: Too big: expected number to be <=100'],
        ['limit=0', 'querystring.limit: Too small: expected number to be >=1'],
        ['offset=-1', 'querystring.offset: Too small: expected number to be >=0'],
        ['status=done', 'querystring.status: Invalid option: expected one of "queued"|"running"|"succeeded"|"partial"|"failed"|"cancelled"|"interrupted"'],
        ['provider=Bad_Name', 'querystring.provider: provider names are kebab-case, e.g. acme-bank'],
        ['bucket=x', 'querystring: Unrecognized key: "bucket"'],
      ]) {
        const response = await api.app.inject({ method: 'GET', url: `/v1/jobs?${query}`, headers: auth });
        expect(response.statusCode, query).toBe(400);
        expect(response.json().message, query).toBe(message);
      }
    });
  });

  describe('when one job is read', () => {
    it('should show status, percent, counts, bytes, times and each file\'s outputs', async () => {
      const job = await runJob();
      const response = await api.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: auth });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toMatchObject({ id: job.id, provider: 'example', status: 'succeeded', dryRun: false, counts: { total: 8, succeeded: 8, failed: 0 }, inFlight: [] });
      expect(body.progress).toMatchObject({ filesDone: 8, filesTotal: 8, percent: 100 });
      expect(body.bytes.in).toBe(body.progress.bytesTotal);
      expect(Date.parse(body.finishedAt)).toBeGreaterThanOrEqual(Date.parse(body.startedAt));
      expect(body.files).toHaveLength(8);
      const statement = body.files.find((file: { path: string }) => file.path === 'statements_20261101.csv.gpg');
      expect(statement.status).toBe('done');
      expect(statement.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(statement.outputs.map((output: { key: string }) => output.key)).toEqual(['data/csv/example/2026-11-01/statements_20261101.csv']);
    });

    it('should answer 400 for a malformed id and 404 for an unknown one', async () => {
      const malformed = await api.app.inject({ method: 'GET', url: '/v1/jobs/..%2F..%2Fetc', headers: auth });
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().message).toBe('params.id: job ids are UUIDs');
      const id = randomUUID();
      for (const [method, url] of [['GET', `/v1/jobs/${id}`], ['GET', `/v1/jobs/${id}/events`], ['DELETE', `/v1/jobs/${id}`]] as const) {
        const response = await api.app.inject({ method, url, headers: auth });
        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expect(response.json().message).toBe(`no job ${id}`);
      }
    });

    it('should answer 409 when cancelling a job that already ended', async () => {
      const job = await runJob({ dryRun: true });
      const response = await api.app.inject({ method: 'DELETE', url: `/v1/jobs/${job.id}`, headers: auth });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ message: `job ${job.id} is not running (it is succeeded)`, jobId: job.id });
    });

    it('should stream an ended job as its state and an end, and answer a reconnect after its last event with 204', async () => {
      const job = await runJob({ dryRun: true });
      const response = await api.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/events`, headers: auth });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const blocks = response.body.trim().split('\n\n');
      expect(blocks).toHaveLength(3);
      expect(blocks[0]).toBe('retry: 3000');
      const [idLine, eventLine, dataLine] = blocks[1]!.split('\n');
      expect(eventLine).toBe('event: job.state');
      expect(JSON.parse(dataLine!.slice(6))).toMatchObject({ id: job.id, status: 'succeeded' });
      expect(blocks[2]).toBe(`event: end\ndata: {"jobId":"${job.id}"}`);
      // job.started, one file.started per planned file... and job.finished: the last id is the stored events' last.
      const lastId = Number(idLine!.slice(4));
      const stored = await api.runtime.jobStore.readEvents(job.id);
      expect(stored.at(-1)).toMatchObject({ id: lastId, event: { type: 'job.finished' } });
      const reconnect = await api.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/events`, headers: { ...auth, 'last-event-id': String(lastId) } });
      expect(reconnect.statusCode).toBe(204);
      expect(reconnect.body).toBe('');
    });

    it('should resume after Last-Event-ID with the events that followed it, then end', async () => {
      const job = await runJob();
      const stored = await api.runtime.jobStore.readEvents(job.id);
      expect(stored.filter((e) => e.event.type === 'file.done')).toHaveLength(8);
      const after = stored.at(-3)!.id;
      const response = await api.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/events`, headers: { ...auth, 'last-event-id': String(after) } });
      expect(response.statusCode).toBe(200);
      const blocks = response.body.trim().split('\n\n');
      expect(blocks[0]).toBe('retry: 3000');
      expect(blocks.slice(1).map((block) => block.split('\n')[0])).toEqual([...stored.slice(-2).map((e) => `id: ${e.id}`), 'event: end']);
      expect(blocks.at(-2)).toContain('event: job.finished');
      const bad = await api.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}/events`, headers: { ...auth, 'last-event-id': 'abc' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toBe('Last-Event-ID "abc" is not an event id of this stream: reconnect without it to start from the job\'s state');
    });
  });

  describe('when providers are listed', () => {
    it('should show their source, bucket and last job', async () => {
      const before = await api.app.inject({ method: 'GET', url: '/v1/providers', headers: auth });
      expect(before.json().items).toEqual([
        expect.objectContaining({ name: 'example', plugin: 'test-partner', bucket: 'example-bucket', source: 'file://drop/example', schedule: null, nextRunAt: null, runningJobId: null, lastJob: null }),
      ]);
      const job = await runJob({ dryRun: true });
      const after = await api.app.inject({ method: 'GET', url: '/v1/providers', headers: auth });
      expect(after.json().items[0].lastJob).toMatchObject({ id: job.id, status: 'succeeded' });
    });
  });

  describe('when the API restarts', () => {
    it('should keep job history from the reports in the work directory', async () => {
      const job = await runJob();
      const report = JSON.parse(await readFile(path.join(setup.workDir, 'jobs', `${job.id}.json`), 'utf8')) as JobReport;
      expect(report).toMatchObject({ version: 1, jobId: job.id, status: 'succeeded', succeeded: 8 });
      await api.shutdown(0);
      api = await build();
      const response = await api.app.inject({ method: 'GET', url: `/v1/jobs/${job.id}`, headers: auth });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(job);
    });

    /** Writes `count` finished reports, a minute apart, the newest `newestMinutesAgo` minutes ago; returns their ids, oldest first. */
    const seedReports = async (count: number, newestMinutesAgo = 1) => {
      const store = new FileJobStore(setup.workDir);
      const ids: string[] = [];
      const newest = Date.now() - newestMinutesAgo * 60_000;
      for (let i = 0; i < count; i += 1) {
        const id = randomUUID();
        ids.push(id);
        const createdAt = newest - (count - 1 - i) * 60_000;
        await store.save({
          version: 1,
          jobId: id,
          provider: 'example',
          status: 'succeeded',
          dryRun: false,
          createdAt: new Date(createdAt).toISOString(),
          finishedAt: new Date(createdAt + 30_000).toISOString(),
          progress: { filesDone: 1, filesTotal: 1, percent: 100, bytesDone: 10, bytesTotal: 10 },
          succeeded: 1,
          failed: 0,
          bytesIn: 10,
          bytesOut: 10,
          files: [{ path: `f${i}.csv`, size: 10, status: 'done', sha256: 'a'.repeat(64), outputs: [{ key: `data/csv/f${i}.csv`, size: 10, sha256: 'b'.repeat(64) }], durationMs: 1 }],
          owner: { pid: process.pid, host: hostname() },
        });
      }
      return ids;
    };

    it('should serve every kept job\'s file results from the job store', async () => {
      const ids = await seedReports(105);
      await api.shutdown(0);
      api = await build();
      for (const i of [0, 104]) {
        const response = await api.app.inject({ method: 'GET', url: `/v1/jobs/${ids[i]}`, headers: auth });
        expect(response.json().files.map((file: { path: string }) => file.path)).toEqual([`f${i}.csv`]);
        const stream = await api.app.inject({ method: 'GET', url: `/v1/jobs/${ids[i]}/events`, headers: auth });
        expect(stream.body).toContain(`"path":"f${i}.csv"`);
      }
      const page = await api.app.inject({ method: 'GET', url: '/v1/jobs?limit=1&offset=104', headers: auth });
      expect(page.json()).toMatchObject({ total: 105, nextOffset: null, items: [{ id: ids[0] }] });
    });

    it('should prune finished jobs beyond jobs.retention at start and after each job', async () => {
      const old = await seedReports(2, 3 * 24 * 60);
      const recent = await seedReports(4);
      await api.shutdown(0);
      const config = { ...setup.loaded.config, jobs: { ...setup.loaded.config.jobs, retention: { maxJobs: 3, maxAgeDays: 2 } } };
      api = await createOctoApi({ loaded: { ...setup.loaded, config }, plugins: [testPartnerProvider], env: TEST_ENV, api: { logLevel: 'info' }, logDestination: new Writable({ write: (_c, _e, callback) => callback() }) });
      const listed = async () => (await api.app.inject({ method: 'GET', url: '/v1/jobs?limit=100', headers: auth })).json().items.map((job: { id: string }) => job.id);
      expect(await listed()).toEqual(recent.slice(1).reverse());
      expect(existsSync(path.join(setup.workDir, 'jobs', `${old[0]}.json`))).toBe(false);
      const job = await runJob({ dryRun: true });
      expect(await listed()).toEqual([job.id, recent[3], recent[2]]);
    });

    it('should show a job whose process died as interrupted', async () => {
      const store = new FileJobStore(setup.workDir);
      const id = randomUUID();
      const deadPid = 2 ** 22 + 17; // above Linux's pid_max, so never a live process
      await mkdir(path.join(setup.workDir, 'jobs'), { recursive: true });
      await store.save({
        version: 1,
        jobId: id,
        provider: 'example',
        status: 'running',
        dryRun: false,
        createdAt: '2026-11-20T10:00:00.000Z',
        startedAt: '2026-11-20T10:00:01.000Z',
        progress: { filesDone: 1, filesTotal: 8, percent: 12.5, bytesDone: 100, bytesTotal: 800 },
        succeeded: 1,
        failed: 0,
        bytesIn: 100,
        bytesOut: 120,
        files: [{ path: 'a.csv', size: 100, status: 'done', outputs: [{ key: 'data/csv/a.csv', size: 120, sha256: 'f'.repeat(64) }], durationMs: 5 }],
        owner: { pid: deadPid, host: hostname() },
      });
      await writeFile(path.join(setup.workDir, 'jobs', 'not-a-report.json'), '{ torn');
      await api.shutdown(0);
      api = await build();
      const response = await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: auth });
      expect(response.json()).toMatchObject({ id, status: 'interrupted', counts: { total: 8, succeeded: 1, failed: 0 }, files: [{ path: 'a.csv', status: 'done' }] });
      expect(response.json().error.reason).toContain(`pid ${deadPid}`);
      expect((await store.get(id))?.status).toBe('interrupted');
      const list = await api.app.inject({ method: 'GET', url: '/v1/jobs?status=interrupted', headers: auth });
      expect(list.json().total).toBe(1);
    });
  });

  describe('when a known path is asked with another method', () => {
    it('should answer 405 with the allowed methods, and 404 for an unknown path', async () => {
      const put = await api.app.inject({ method: 'PUT', url: `/v1/jobs/${randomUUID()}`, headers: auth });
      expect(put.statusCode).toBe(405);
      expect(put.headers.allow).toBe('DELETE, GET, HEAD');
      const trace = await api.app.inject({ method: 'POST', url: '/v1/providers', headers: auth, payload: {} });
      expect(trace.statusCode).toBe(405);
      expect(trace.json().message).toBe('POST is not allowed on /v1/providers: use GET, HEAD');
      const unknown = await api.app.inject({ method: 'GET', url: '/v1/nothing', headers: auth });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().message).toBe('no route GET /v1/nothing');
    });
  });

  describe('when the OpenAPI document is read', () => {
    it('should describe every /v1 route with its schemas and the bearer scheme', async () => {
      const response = await api.app.inject({ method: 'GET', url: '/openapi.json' });
      const doc = response.json();
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/readyz', '/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/events', '/v1/providers', '/v1/providers/{name}', '/v1/providers/{name}/check', '/v1/providers/{name}/jobs', '/v1/providers/{name}/ledger', '/v1/providers/{name}/pending', '/v1/providers/{name}/quarantine', '/v1/providers/{name}/quarantine/release', '/v1/session']);
      expect(doc.paths['/v1/providers/{name}/quarantine'].get.operationId).toBe('listQuarantinedFiles');
      expect(doc.paths['/v1/providers/{name}/quarantine/release'].post.operationId).toBe('releaseQuarantinedFile');
      expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer' });
      expect(doc.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'octo_session' });
      expect(doc.security).toEqual([{ bearer: [] }, { session: [] }]);
      expect(doc.paths['/v1/session'].post.security).toEqual([]);
      const start = doc.paths['/v1/providers/{name}/jobs'].post;
      expect(Object.keys(start.responses).sort()).toEqual(['202', '400', '401', '404', '409', '413', '415', '429', '503']);
      expect(start.requestBody.content['application/json'].schema).toMatchObject({ additionalProperties: false, properties: { concurrency: { maximum: 16 } } });
      expect(start.requestBody.required).toBe(false);
      expect(doc.paths['/healthz'].get.security).toEqual([]);
      expect(Object.keys(doc.paths['/v1/jobs/{id}/events'].get.responses['200'].content)).toEqual(['text/event-stream']);
    });
  });
});
