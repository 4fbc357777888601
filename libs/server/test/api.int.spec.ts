import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoApi, jobDetailSchema, jobEventSchema, type OctoApi } from '../src/index.js';
import { createTestPartnerWorkspace, ledgerRecords, listBucket, readSse, slowTestPartnerProvider, stagingLeftovers, type TempWorkspace, TEST_ENV, TEST_TOKEN, testDropFiles, testPartnerProvider, writeLargeCsvFiles, writeSlowDrop } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read free-form JSON events
type Sse = { event: string; data: any; id?: string };

describe('the Octo API over a real socket', () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let base: string;
  let exampleFiles: string[];

  const post = (provider: string, body: unknown, headers: Record<string, string> = auth) =>
    fetch(`${base}/v1/providers/${provider}/jobs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = (url: string) => fetch(`${base}${url}`, { headers: auth });

  /** Reads a job's SSE stream to its end; `onEvent` may act (cancel) while it flows. */
  const follow = async (id: string, onEvent?: (event: Sse, all: Sse[]) => Promise<void> | void): Promise<Sse[]> => {
    const response = await fetch(`${base}/v1/jobs/${id}/events`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events: Sse[] = [];
    for await (const event of readSse(response.body!)) {
      events.push(event as Sse);
      await onEvent?.(event as Sse, events);
    }
    // A clean end: an `end` event without an id (so a reconnect resumes after job.finished).
    expect(events.at(-1)).toEqual({ event: 'end', data: { jobId: id } });
    return events.slice(0, -1);
  };

  beforeAll(async () => {
    setup = await createTestPartnerWorkspace({ slow: true });
    // The samples plus larger files, processed one at a time: the job runs long enough to be seen running.
    const large = await writeLargeCsvFiles(setup.dropDir, { count: 6, bytes: 8 * 1024 * 1024 });
    exampleFiles = [...testDropFiles().map((file) => file.file), ...large].sort();
    api = await createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider, slowTestPartnerProvider], env: TEST_ENV });
    base = await api.listen();
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  afterAll(async () => {
    await api?.shutdown(0);
    await setup?.cleanup();
  });

  it('should answer 401 without a token, or with a wrong one, and start nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer 0000000000000000000000000000000000' }]) {
      const response = await post('example', {}, headers as Record<string, string>);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    expect(await (await get('/v1/jobs')).json()).toMatchObject({ items: [], total: 0 });
    expect(await listBucket(setup.bucketDir)).toEqual(new Map());
  });

  it('should run a job, stream its events in order, refuse a second start with 409, and land what the summary says', async () => {
    const started = await post('example', { concurrency: 1 });
    expect(started.status).toBe(202);
    const job = await started.json();
    expect(job).toMatchObject({ provider: 'example', status: 'running', dryRun: false, concurrency: 1 });
    expect(started.headers.get('location')).toBe(`/v1/jobs/${job.id}`);

    const second = await post('example', {});
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ statusCode: 409, jobId: job.id });

    const events = await follow(job.id);
    // Ids count up without gaps from the state's, the id of the last event it includes.
    const firstId = Number(events[0]!.id);
    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => String(firstId + i)));
    expect(events[0]!.event).toBe('job.state');
    const state = events[0]!.data;
    expect(state.id).toBe(job.id);
    const last = events.at(-1)!;
    expect(last.event).toBe('job.finished');
    expect(events.filter((event) => event.event === 'job.finished')).toHaveLength(1);
    const live = events.slice(1);
    // Every event matches the schema the OpenAPI document gives for it.
    expect(jobDetailSchema.safeParse(state).success).toBe(true);
    for (const event of live) {
      expect(event.data.type).toBe(event.event);
      expect(jobEventSchema.safeParse(event.data).error).toBeUndefined();
    }
    const startedAt = live.findIndex((event) => event.event === 'job.started');
    if (startedAt !== -1) expect(live.findIndex((event) => event.event.startsWith('file.'))).toBeGreaterThan(startedAt);
    else expect(state.startedAt).not.toBeNull();
    // Each file: started, then progress, then done, in that order; and one file at a time.
    const doneEvents = live.filter((event) => event.event === 'file.done');
    for (const done of doneEvents) {
      const mine = live.filter((event) => event.data.path === done.data.path);
      const kinds = mine.map((event) => event.event);
      if (kinds[0] === 'file.started') {
        expect(kinds.at(-1)).toBe('file.done');
        expect(kinds.slice(1, -1).every((kind) => kind === 'file.progress')).toBe(true);
      }
    }
    const alreadyDone = state.files.length as number;
    expect(doneEvents.map((event) => event.data.progress.filesDone)).toEqual(doneEvents.map((_, i) => alreadyDone + i + 1));
    expect(live.filter((event) => event.event === 'file.failed')).toEqual([]);
    const seen = [...state.files.map((file: { path: string }) => file.path), ...doneEvents.map((event) => event.data.path)].sort();
    expect(seen).toEqual(exampleFiles);

    const summary = last.data.summary;
    expect(summary).toMatchObject({ jobId: job.id, status: 'succeeded', total: exampleFiles.length, succeeded: exampleFiles.length, failed: 0 });
    expect(summary.files.map((file: { path: string }) => file.path)).toEqual(exampleFiles);

    // What landed is exactly what the summary lists, byte for byte.
    const bucketRoot = setup.bucketDir;
    const landed = await listBucket(bucketRoot);
    const outputs = summary.files.flatMap((file: { outputs: Array<{ key: string; sha256: string; size: number }> }) => file.outputs);
    expect([...landed.keys()].sort()).toEqual(outputs.map((output: { key: string }) => output.key).sort());
    for (const output of outputs) expect(landed.get(output.key)).toBe(output.sha256);
    expect(summary.bytesOut).toBe(outputs.reduce((sum: number, output: { size: number }) => sum + output.size, 0));
    for (const sample of testDropFiles()) {
      for (const [name, sha256] of Object.entries(sample.outputs)) {
        expect([...landed].some(([key, hash]) => key.endsWith(`/${path.basename(name)}`) && hash === sha256), `${sample.file} -> ${name}`).toBe(true);
      }
    }
    expect(await stagingLeftovers(bucketRoot)).toEqual([]);
    const records = await ledgerRecords(bucketRoot, 'example');
    expect(records.map((record) => record.path).sort()).toEqual(exampleFiles);
    expect(new Set(records.map((record) => record.jobId))).toEqual(new Set([job.id]));

    // GET /v1/jobs/:id and the report on disk agree with the summary.
    const read = await (await get(`/v1/jobs/${job.id}`)).json();
    expect(read).toMatchObject({
      status: 'succeeded',
      progress: { percent: 100, filesDone: exampleFiles.length, filesTotal: exampleFiles.length },
      counts: { total: exampleFiles.length, succeeded: exampleFiles.length, failed: 0 },
      bytes: { in: summary.bytesIn, out: summary.bytesOut },
      startedAt: expect.any(String),
      finishedAt: summary.finishedAt,
      inFlight: [],
    });
    expect(read.files).toEqual(summary.files);
    // The job's stage totals, and each file's stages: read all its bytes from the drop, staged and made visible all its outputs.
    expect(read.stages).toEqual(summary.stages);
    expect([read.stages.read.bytes, read.stages.store.bytes]).toEqual([summary.bytesIn, summary.bytesOut]);
    for (const file of read.files as Array<{ path: string; size: number; outputs: Array<{ size: number }>; stages: Record<string, { ms: number; bytes: number }> }>) {
      const out = file.outputs.reduce((sum, output) => sum + output.size, 0);
      expect([file.stages.read?.bytes, file.stages.store?.bytes, file.stages.commit?.bytes], file.path).toEqual([file.size, out, out]);
    }
    const report = JSON.parse(await readFile(path.join(setup.workDir, 'jobs', `${job.id}.json`), 'utf8'));
    expect(report).toMatchObject({ status: 'succeeded', succeeded: exampleFiles.length, bytesOut: summary.bytesOut });

    // A late client gets the final state and the stream ends.
    const late = await follow(job.id);
    expect(late.map((event) => event.event)).toEqual(['job.state']);
    expect(late[0]!.data).toMatchObject({ status: 'succeeded', counts: { succeeded: exampleFiles.length } });

    // The metrics counted it, per provider.
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain(`octo_files_ingested_total{provider="example"} ${exampleFiles.length}`);
    expect(metrics).toContain(`octo_landed_output_bytes_total{provider="example"} ${summary.bytesOut}`);
    expect(metrics).toContain(`octo_ingested_source_bytes_total{provider="example"} ${summary.bytesIn}`);
    expect(metrics).toContain(`octo_file_duration_seconds_count{provider="example",outcome="done"} ${exampleFiles.length}`);
    expect(metrics).toContain(`octo_file_size_bytes_count{provider="example",outcome="done"} ${exampleFiles.length}`);
    expect(metrics).toContain(`octo_file_size_bytes_sum{provider="example",outcome="done"} ${summary.bytesIn}`);
    for (const stage of ['read', 'unpack', 'store', 'commit']) {
      expect(Number(new RegExp(`^octo_stage_seconds_total\\{provider="example",stage="${stage}"\\} (\\S+)$`, 'm').exec(metrics)?.[1]), stage).toBeGreaterThan(0);
    }
    expect(metrics).toContain('octo_jobs_running{provider="example"} 0');
    expect(metrics).toContain('octo_jobs_total{provider="example",status="succeeded"} 1');

    // Nothing new on the drop: a rerun has nothing to do.
    const rerun = await (await post('example', {})).json();
    const rerunEvents = await follow(rerun.id);
    expect(rerunEvents.at(-1)!.data.summary).toMatchObject({ status: 'succeeded', total: 0 });
  });

  it('should cancel an example job mid-way: only whole files land, no staging leftovers, and a rerun does exactly the rest', async () => {
    const drop = setup.dropDir;
    const more: string[] = [];
    for (let i = 1; i <= 6; i += 1) {
      const name = `more_2026112${i}.csv`;
      await writeFile(path.join(drop, name), Buffer.alloc(16 * 1024 * 1024, `more ${i},2026-11-2${i},EUR\n`));
      more.push(name);
    }
    const bucketRoot = setup.bucketDir;
    const before = await listBucket(bucketRoot);
    const job = await (await post('example', { concurrency: 1 })).json();
    let cancel: Response | undefined;
    const events = await follow(job.id, async (event) => {
      if (!cancel && event.event === 'file.progress' && event.data.bytes < event.data.size) {
        cancel = await fetch(`${base}/v1/jobs/${job.id}`, { method: 'DELETE', headers: auth });
      }
    });
    expect(cancel?.status).toBe(200);
    const summary = events.at(-1)!.data.summary;
    expect(summary).toMatchObject({ status: 'cancelled', total: 6 });
    const done = summary.files.filter((file: { status: string }) => file.status === 'done');
    expect(done.length).toBeLessThan(6);
    for (const file of summary.files.filter((f: { status: string }) => f.status !== 'done')) expect(file).toMatchObject({ status: 'failed', kind: 'cancelled' });

    // New objects are exactly the outputs of the files that were done, byte for byte.
    const after = await listBucket(bucketRoot);
    const added = [...after].filter(([key]) => !before.has(key));
    const outputs = done.flatMap((file: { outputs: Array<{ key: string; sha256: string }> }) => file.outputs);
    expect(added.map(([key]) => key).sort()).toEqual(outputs.map((output: { key: string }) => output.key).sort());
    for (const output of outputs) expect(after.get(output.key)).toBe(output.sha256);
    expect(await stagingLeftovers(bucketRoot)).toEqual([]);
    const ledgered = (await ledgerRecords(bucketRoot, 'example')).filter((record) => record.path.startsWith('more_'));
    expect(ledgered.map((record) => record.path).sort()).toEqual(done.map((file: { path: string }) => file.path).sort());

    const rerun = await (await post('example', { concurrency: 4 })).json();
    const rerunSummary = (await follow(rerun.id)).at(-1)!.data.summary;
    const rest = more.filter((name) => !done.some((file: { path: string }) => file.path === name));
    expect(rerunSummary).toMatchObject({ status: 'succeeded', total: rest.length, succeeded: rest.length });
    expect(rerunSummary.files.map((file: { path: string }) => file.path)).toEqual(rest);
    expect((await ledgerRecords(bucketRoot, 'example')).filter((record) => record.path.startsWith('more_'))).toHaveLength(6);
  });

  it('should cancel a job: in-flight files aborted, nothing partial visible, done work kept, and a rerun does exactly the rest', async () => {
    await writeSlowDrop(setup.dropDirOf('slow-example'), { fast: 3, slow: 2, slowBytes: 1024 * 1024 });
    const job = await (await post('slow-example', { concurrency: 5 })).json();
    let cancel: Response | undefined;
    const events = await follow(job.id, async (event, all) => {
      const fastDone = all.filter((e) => e.event === 'file.done' && e.data.path.startsWith('fast_')).length + (all[0]!.data.files?.length ?? 0);
      if (!cancel && event.event === 'file.progress' && event.data.path.startsWith('slow_') && event.data.bytes < event.data.size && fastDone >= 3) {
        const inFlight = (await (await get(`/v1/jobs/${job.id}`)).json()).inFlight;
        expect(inFlight.map((file: { path: string }) => file.path).sort()).toEqual(['slow_20261111.csv', 'slow_20261112.csv']);
        cancel = await fetch(`${base}/v1/jobs/${job.id}`, { method: 'DELETE', headers: auth });
      }
    });
    expect(cancel?.status).toBe(200);
    const cancelled = await cancel!.json();
    expect(cancelled).toMatchObject({ id: job.id, status: 'cancelled', counts: { total: 5, succeeded: 3 }, inFlight: [] });
    const summary = events.at(-1)!.data.summary;
    expect(summary.status).toBe('cancelled');
    expect(summary.files.filter((file: { status: string }) => file.status === 'done').map((file: { path: string }) => file.path)).toEqual([
      'fast_20261101.csv',
      'fast_20261102.csv',
      'fast_20261103.csv',
    ]);
    for (const file of summary.files.filter((f: { path: string }) => f.path.startsWith('slow_'))) {
      expect(file).toMatchObject({ status: 'failed', kind: 'cancelled' });
    }

    const bucketRoot = setup.bucketDirOf('slow-bucket');
    const landed = await listBucket(bucketRoot);
    expect([...landed.keys()].sort()).toEqual([
      'data/csv/slow-example/2026-11-01/fast_20261101.csv',
      'data/csv/slow-example/2026-11-02/fast_20261102.csv',
      'data/csv/slow-example/2026-11-03/fast_20261103.csv',
    ]);
    expect(await stagingLeftovers(bucketRoot)).toEqual([]);
    expect((await ledgerRecords(bucketRoot, 'slow-example')).map((record) => record.path).sort()).toEqual(['fast_20261101.csv', 'fast_20261102.csv', 'fast_20261103.csv']);
    const report = JSON.parse(await readFile(path.join(setup.workDir, 'jobs', `${job.id}.json`), 'utf8'));
    expect(report.status).toBe('cancelled');
    expect((await (await get('/v1/jobs?provider=slow-example&status=cancelled')).json()).total).toBe(1);

    // The rerun picks up exactly the two files that did not land.
    const rerun = await (await post('slow-example', { concurrency: 2 })).json();
    const rerunEvents = await follow(rerun.id);
    const rerunSummary = rerunEvents.at(-1)!.data.summary;
    expect(rerunSummary).toMatchObject({ status: 'succeeded', total: 2, succeeded: 2 });
    expect(rerunSummary.files.map((file: { path: string }) => file.path)).toEqual(['slow_20261111.csv', 'slow_20261112.csv']);
    expect((await listBucket(bucketRoot)).size).toBe(5);
    expect(await ledgerRecords(bucketRoot, 'slow-example')).toHaveLength(5);
  });

  it('should, on shutdown, stop accepting requests and abort running files cleanly after the deadline', async () => {
    await writeSlowDrop(setup.dropDirOf('slow-example'), { fast: 0, slow: 4, slowBytes: 2 * 1024 * 1024 });
    // seedSlowDrop rewrote slow_1..2 with new bytes: those are new versions for the ledger, so four files are pending.
    const job = await (await post('slow-example', { concurrency: 4 })).json();
    let shutdown: Promise<{ finished: number; cancelled: number; abandoned: number }> | undefined;
    const events = await follow(job.id, (event) => {
      if (!shutdown && event.event === 'file.progress') shutdown = api.shutdown(300);
    });
    expect(events.at(-1)!.data.summary).toMatchObject({ status: 'cancelled', succeeded: 0 });
    expect(await shutdown).toEqual({ finished: 0, cancelled: 1, abandoned: 0 });
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    const bucketRoot = setup.bucketDirOf('slow-bucket');
    expect(await stagingLeftovers(bucketRoot)).toEqual([]);
    expect((await listBucket(bucketRoot)).size).toBe(5);
    const report = JSON.parse(await readFile(path.join(setup.workDir, 'jobs', `${job.id}.json`), 'utf8'));
    expect(report).toMatchObject({ status: 'cancelled', succeeded: 0 });
  });
});
