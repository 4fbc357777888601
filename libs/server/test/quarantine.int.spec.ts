import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { createTestPartnerWorkspace, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

interface QuarantineAnswer {
  provider: string;
  after: number;
  files: Array<{ path: string; attempts: number; quarantined: boolean; lastKind: string; lastReason: string }>;
}

describe('GET /v1/providers/{name}/quarantine and POST .../quarantine/release', () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let base: string;
  const headers = { authorization: `Bearer ${TEST_TOKEN}` };
  const get = (url: string) => fetch(`${base}${url}`, { headers });
  const release = (body: unknown, provider = 'example') =>
    fetch(`${base}/v1/providers/${provider}/quarantine/release`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const runJob = async (): Promise<{ skipped?: Array<{ path: string; why: string; reason: string }> }> => {
    const started = await fetch(`${base}/v1/providers/example/jobs`, { method: 'POST', headers });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const job = (await (await get(`/v1/jobs/${id}`)).json()) as { status: string; skipped?: Array<{ path: string; why: string; reason: string }> };
      if (job.status !== 'running' && job.status !== 'queued') return job;
    }
  };

  beforeAll(async () => {
    setup = await createTestPartnerWorkspace({ testDrop: false });
    await mkdir(setup.dropDir, { recursive: true });
    const gz = gzipSync(Buffer.alloc(100_000, 'x'));
    await writeFile(path.join(setup.dropDir, 'broken.csv.gz'), gz.subarray(0, gz.length - 10));
    api = await createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV });
    base = await api.listen();
    for (let run = 0; run < 3; run += 1) await runJob();
  }, 60_000);

  afterAll(async () => {
    await api?.shutdown(0);
    await setup?.cleanup();
  });

  it('should list a file failed three runs as quarantined, with its attempts and reason, and the job should say it skipped it', async () => {
    const answer = (await (await get('/v1/providers/example/quarantine')).json()) as QuarantineAnswer;
    expect(answer).toMatchObject({ provider: 'example', after: 3 });
    expect(answer.files.map((f) => [f.path, f.attempts, f.quarantined, f.lastKind])).toEqual([['broken.csv.gz', 3, true, 'unpack']]);
    expect(answer.files[0]?.lastReason).toMatch(/^broken\.csv\.gz/);
    const fourth = await runJob();
    expect(fourth.skipped?.map((s) => [s.path, s.why])).toEqual([['broken.csv.gz', 'quarantined']]);
    expect(fourth.skipped?.[0]?.reason).toMatch(/^quarantined after failing 3 runs .+; fix it, then release it with octo retry example broken\.csv\.gz$/);
  });

  it('should refuse to release what is not quarantined (404, naming what is), a bad body (400), an unknown provider (404)', async () => {
    const missing = await release({ path: 'other.csv' });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe('other.csv is not quarantined for provider example: the quarantined files are: broken.csv.gz (see octo pending example)');
    expect((await release({ file: 'broken.csv.gz' })).status).toBe(400);
    const nobody = await release({ path: 'broken.csv.gz' }, 'nobody');
    expect(nobody.status).toBe(404);
    expect(((await nobody.json()) as { message: string }).message).toBe('unknown provider "nobody": the configured providers are example');
  });

  it('should release it, so the quarantine is empty and the next job tries it again', async () => {
    const released = await release({ path: 'broken.csv.gz' });
    expect(released.status).toBe(200);
    expect(((await released.json()) as { released: Array<{ path: string; attempts: number }> }).released.map((e) => [e.path, e.attempts])).toEqual([['broken.csv.gz', 3]]);
    expect(((await (await get('/v1/providers/example/quarantine')).json()) as QuarantineAnswer).files).toEqual([]);
    const next = await runJob();
    expect(next.skipped).toBeUndefined();
    expect(((await (await get('/v1/providers/example/quarantine')).json()) as QuarantineAnswer).files.map((f) => [f.path, f.attempts, f.quarantined])).toEqual([['broken.csv.gz', 1, false]]);
  });
});
