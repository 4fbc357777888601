import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expectationConfigSchema, TYPES, verifyWebhook, type LoadedConfig } from '@octo/core';
import { createTestPartnerWorkspace, FakeClock, startWebhookReceiver, type TempWorkspace, TEST_ENV, TEST_TOKEN, testPartnerProvider, type WebhookReceiver } from '@octo/core/testing';
import { createOctoApi, type OctoApi } from '../src/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

/** The setup's example provider expecting files by 06:00 on weekdays (London), with a signed hook on failures. */
function expecting(loaded: LoadedConfig, hookUrl: string): LoadedConfig {
  const example = { ...loaded.config.providers['example']!, expect: expectationConfigSchema.parse({ by: '06:00', days: 'mon-fri', timezone: 'Europe/London' }) };
  const notify = { webhooks: [{ url: hookUrl, secret: 'env:OCTO_TEST_HOOK_SECRET', on: ['failure' as const], format: 'octo' as const, attempts: 1, timeoutMs: 5000 }] };
  return { ...loaded, config: { ...loaded.config, notify, providers: { example } } };
}

describe('arrival expectations in the API', () => {
  let setup: TempWorkspace;
  let api: OctoApi;
  let receiver: WebhookReceiver;
  let clock: FakeClock;
  const secret = 'arrival-hook-secret';

  beforeEach(async () => {
    setup = await createTestPartnerWorkspace({ testDrop: false });
    receiver = await startWebhookReceiver();
    // Monday 2026-11-30, 05:00 UTC: before the deadline.
    clock = new FakeClock(Date.parse('2026-11-30T05:00:00Z'));
    const logDestination = new Writable({ write: (_chunk, _encoding, done) => done() });
    api = await createOctoApi({ loaded: expecting(setup.loaded, receiver.url), plugins: [testPartnerProvider], env: TEST_ENV, clock, logDestination });
    process.env['OCTO_TEST_HOOK_SECRET'] = secret;
  });

  afterEach(async () => {
    await api.shutdown(0);
    await receiver.stop();
    await setup.cleanup();
  });

  it('should show late since the missed deadline, count it in /metrics, and send one signed provider.late webhook', async () => {
    const get = async (url: string) => api.app.inject({ method: 'GET', url, headers: auth });
    // Friday's delivery came: on time until Monday's deadline.
    const { container } = await api.runtime.providers.create('example');
    await container.get(TYPES.Ledger).record({ provider: 'example', path: 'fri.csv', size: 1, mtimeMs: 0, sha256: 'x', outputs: [], jobId: 'job-fri', ingestedAt: '2026-11-27T05:00:00.000Z' });
    // octo serve judges at each deadline from when it listens.
    await api.listen();
    expect(api.runtime.arrivals.armedTimers).toBe(1);
    expect((await get('/v1/providers/example')).json().late).toBeNull();
    clock.advanceTo('2026-11-30T06:00:00Z');
    await receiver.waitFor(1);
    const detail = (await get('/v1/providers/example')).json();
    expect(detail).toMatchObject({ name: 'example', late: { since: '2026-11-30T06:00:00.000Z', expectation: 'by 06:00 on mon-fri (Europe/London)', windowOpenedAt: '2026-11-27T06:00:00.000Z' } });
    expect((await get('/v1/providers')).json().items[0].late).toEqual(detail.late);
    const metrics = (await get('/metrics')).body;
    expect(metrics).toContain('octo_provider_late{provider="example"} 1');
    expect(metrics).toContain(`octo_provider_late_since_timestamp_seconds{provider="example"} ${Date.parse('2026-11-30T06:00:00Z') / 1000}`);
    const [hook] = receiver.received;
    expect(hook!.headers['octo-event']).toBe('provider.late');
    expect(verifyWebhook(secret, hook!.body, hook!.headers['octo-signature'] as string)).toEqual({ ok: true });
    expect(JSON.parse(hook!.body)).toEqual({
      event: 'provider.late',
      provider: 'example',
      late: {
        since: '2026-11-30T06:00:00.000Z',
        expectation: 'by 06:00 on mon-fri (Europe/London)',
        windowOpenedAt: '2026-11-27T06:00:00.000Z',
        nextDeadline: '2026-12-01T06:00:00.000Z',
        checkedAt: '2026-11-30T06:00:00.000Z',
      },
    });
    expect((await get('/v1/providers/nobody')).json()).toMatchObject({ statusCode: 404, message: 'unknown provider "nobody": the configured providers are example' });
    // Judged again later (same deadline): no second alert.
    clock.advanceTo('2026-11-30T07:00:00Z');
    await get('/v1/providers/example');
    expect(receiver.received).toHaveLength(1);
    await api.shutdown(0);
    expect(api.runtime.arrivals.armedTimers).toBe(0);
  });

  it('should count a poll that found nothing, and not be late once a file was ingested in the window', async () => {
    const get = async (url: string) => api.app.inject({ method: 'GET', url, headers: auth });
    await mkdir(setup.dropDir, { recursive: true });
    await writeFile(path.join(setup.dropDir, 'statements_20261130.csv'), 'id\n1\n');
    // The ledger's ingestedAt is the real time of the run: the fake clock is a minute ahead of it.
    clock.advanceTo(new Date(Date.now() + 60_000).toISOString());
    const first = await api.runtime.jobs.start('example', { dryRun: false });
    const summary = await first.done;
    expect(summary.succeeded).toBeGreaterThan(0);
    const empty = await api.runtime.jobs.start('example', { dryRun: false });
    expect((await empty.done).total).toBe(0);
    const status = await api.runtime.arrivals.check('example');
    expect(status).toMatchObject({ late: false, since: null });
    expect((await get('/v1/providers/example')).json().late).toBeNull();
    const metrics = (await get('/metrics')).body;
    expect(metrics).toContain('octo_polls_found_nothing_total{provider="example"} 1');
    expect(metrics).toContain('octo_provider_late{provider="example"} 0');
    expect(receiver.received.map((hook) => JSON.parse(hook.body))).toEqual([]);
  });
});
