import type { LoadedConfig, ScheduleConfig } from '@octo/core';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { createTestPartnerWorkspace, listBucket, slowTestPartnerProvider, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider, writeSlowDrop } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The setup's config with `schedule` on every provider. */
function scheduled(loaded: LoadedConfig, schedule: ScheduleConfig): LoadedConfig {
  const providers = Object.fromEntries(Object.entries(loaded.config.providers).map(([name, provider]) => [name, { ...provider, schedule }]));
  return { ...loaded, config: { ...loaded.config, providers } };
}

describe('schedules in embedded mode', () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let base: string;
  const logs: string[] = [];

  beforeAll(async () => {
    setup = await createTestPartnerWorkspace({ api: { logLevel: 'info' }, slow: true });
    // One file read at 256 KiB/s: its sync takes about 5 s, longer than two ticks.
    await writeSlowDrop(setup.dropDirOf('slow-example'), { fast: 0, slow: 1, slowBytes: 1280 * 1024 });
    // Config refuses intervals under 10s; the scheduler itself does not, which keeps this test short.
    const loaded = scheduled(setup.loaded, { kind: 'every', every: '2s', intervalMs: 2000 });
    const logDestination = new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) });
    // Start just after a tick, so the first tick cannot fire before the test's first read.
    await sleep(2050 - (Date.now() % 2000));
    api = await createOctoApi({ loaded, plugins: [testPartnerProvider, slowTestPartnerProvider], env: TEST_ENV, logDestination });
    base = await api.listen();
  });

  afterAll(async () => {
    await api?.shutdown(0);
    await setup?.cleanup();
  });

  it('should start one sync per tick, skip ticks while a provider syncs, list each job with its result, show the next run, and stop ticking on shutdown', async () => {
    const get = async (url: string) => (await fetch(`${base}${url}`, { headers: auth })).json();
    // Not within a moment of a tick, when the armed time is about to move on.
    if (Date.now() % 2000 > 1700) await sleep(600);
    const before = await get('/v1/providers');
    const firstNext = Date.parse(before.items[0].nextRunAt);
    expect(before.items.map((item: { name: string }) => item.name)).toEqual(['example', 'slow-example']);
    expect(before.items[0]).toMatchObject({ name: 'example', schedule: { every: '2s' }, lastJob: null });
    expect(firstNext).toBeGreaterThan(Date.now());
    expect(firstNext).toBeLessThanOrEqual(Date.now() + 2000);
    expect(firstNext % 2000).toBe(0);

    // 6 to 8 s, ending 0.7 s after a tick (so no tick falls between the reads below): 3 or 4 ticks.
    const readAt = Math.ceil((Date.now() + 5500) / 2000) * 2000 + 700;
    await sleep(readAt - Date.now());
    const jobs = await get('/v1/jobs?provider=example');
    // Each tick its own job, each finished.
    expect(jobs.total).toBeGreaterThanOrEqual(3);
    expect(jobs.total).toBeLessThanOrEqual(4);
    const items = jobs.items as Array<{ id: string; status: string; createdAt: string; finishedAt: string | null; counts: { total: number } }>;
    expect(new Set(items.map((job) => job.id)).size).toBe(jobs.total);
    for (const job of items) expect(job.status).toBe('succeeded');
    // The first tick landed the drop; the later ones found nothing new.
    const oldest = items.at(-1)!;
    expect(oldest.counts.total).toBeGreaterThan(0);
    for (const job of items.slice(0, -1)) expect(job.counts.total).toBe(0);
    // One job per tick: their starts are about 2 s apart.
    const starts = items.map((job) => Date.parse(job.createdAt)).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i += 1) expect(starts[i]! - starts[i - 1]!).toBeGreaterThan(1000);
    expect((await listBucket(setup.bucketDir)).size).toBeGreaterThan(0);

    const after = await get('/v1/providers');
    expect(Date.parse(after.items[0].nextRunAt)).toBeGreaterThan(Date.now());
    expect(after.items[0].lastJob).toMatchObject({ id: items[0]!.id, status: 'succeeded', finishedAt: items[0]!.finishedAt });
    const logged = (msg: string, provider: string) => logs.filter((line) => line.includes(`"msg":"${msg}"`) && line.includes(`"provider":"${provider}"`)).length;
    expect(logged('scheduled sync started', 'example')).toBe(jobs.total);

    // The slow provider: ticks that came while its sync ran were skipped and logged, never queued or overlapping.
    const slow = (await get('/v1/jobs?provider=slow-example')).items as Array<{ status: string; createdAt: string; finishedAt: string | null }>;
    expect(slow.length).toBeGreaterThanOrEqual(1);
    expect(slow.length).toBeLessThanOrEqual(2);
    expect(logged('scheduled sync started', 'slow-example')).toBe(slow.length);
    expect(logged('scheduled sync skipped: the provider is still syncing', 'slow-example')).toBeGreaterThanOrEqual(1);
    const byStart = [...slow].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (let i = 1; i < byStart.length; i += 1) expect(Date.parse(byStart[i]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(byStart[i - 1]!.finishedAt!));
    expect(logs.filter((line) => line.includes('"level":50'))).toEqual([]);

    await api.shutdown(0);
    expect(api.scheduler.armedTimers).toBe(0);
    const atShutdown = (await api.runtime.jobStore.list()).length;
    expect(atShutdown).toBeGreaterThanOrEqual(jobs.total + slow.length);
    await sleep(2500);
    expect((await api.runtime.jobStore.list()).length).toBe(atShutdown);
  }, 20_000);
});
