import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { createTestPartnerWorkspace, ledgerRecords, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider } from '@octo/core/testing';

describe('GET /v1/providers/{name}/ledger', () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let base: string;
  const get = (url: string, token = TEST_TOKEN) => fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    setup = await createTestPartnerWorkspace();
    api = await createOctoApi({ loaded: setup.loaded, plugins: [testPartnerProvider], env: TEST_ENV });
    base = await api.listen();
    const started = await fetch(`${base}/v1/providers/example/jobs`, { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    for (let status = 'running'; status === 'running' || status === 'queued'; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = ((await (await get(`/v1/jobs/${id}`)).json()) as { status: string }).status;
    }
  }, 60_000);

  afterAll(async () => {
    await api?.shutdown(0);
    await setup?.cleanup();
  });

  it('should answer every record the ledger in the bucket holds, newest first, with keys and job', async () => {
    const response = await get('/v1/providers/example/ledger');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { provider: string; matched: number; truncated: boolean; records: Array<{ path: string; ingestedAt: string; jobId: string; outputs: Array<{ key: string }> }> };
    const inBucket = await ledgerRecords(setup.bucketDir, 'example');
    expect(inBucket.length).toBeGreaterThan(0);
    expect(body).toMatchObject({ provider: 'example', matched: inBucket.length, truncated: false });
    expect(body.records.map((r) => r.path).sort()).toEqual(inBucket.map((r) => r.path).sort());
    expect(body.records.map((r) => r.outputs.map((o) => o.key)).flat().sort()).toEqual(inBucket.flatMap((r) => r.outputs.map((o) => o.key)).sort());
    const times = body.records.map((r) => r.ingestedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('should filter by path glob and time, and cut at the limit saying so', async () => {
    const csv = (await (await get('/v1/providers/example/ledger?path=**/*.csv.gpg')).json()) as { records: Array<{ path: string }> };
    expect(csv.records.length).toBeGreaterThan(0);
    expect(csv.records.every((r) => r.path.endsWith('.csv.gpg'))).toBe(true);
    const none = (await (await get('/v1/providers/example/ledger?since=2099-01-01')).json()) as { matched: number };
    expect(none.matched).toBe(0);
    const cut = (await (await get('/v1/providers/example/ledger?limit=1')).json()) as { records: unknown[]; truncated: boolean };
    expect(cut.records).toHaveLength(1);
    expect(cut.truncated).toBe(true);
  });

  it('should answer 404 for an unknown provider, 400 for a bad time or limit, 401 without a token', async () => {
    const unknown = await get('/v1/providers/nobody/ledger');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toBe('unknown provider "nobody": the configured providers are example');
    const bad = await get('/v1/providers/example/ledger?since=yesterday');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe(
      '"yesterday" is not a time: give an ISO date (2026-11-01), a date-time (2026-11-01T06:00:00Z) or a duration back from now (90m, 36h, 7d)',
    );
    expect((await get('/v1/providers/example/ledger?limit=0')).status).toBe(400);
    expect((await get('/v1/providers/example/ledger', 'wrong-token-0123456789abcdef0123456789')).status).toBe(401);
  });
});
