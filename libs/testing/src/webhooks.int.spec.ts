import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook, type OctoConfigInput } from '@octo/core';
import { startWebhookReceiver, type WebhookReceiver } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { freePort } from './free-port.js';
import { runOctoCli } from './octo-cli.js';

const SECRET = 'whsec-7f3a9c-do-not-log';

// `octo sync` as cron runs it, telling a webhook receiver on loopback how the job went.
describe('webhooks on job end', () => {
  let work: string;
  let receiver: WebhookReceiver;
  let count = 0;

  async function setup(notify: OctoConfigInput['notify'], providerNotify?: OctoConfigInput['notify']): Promise<string> {
    count += 1;
    const dir = path.join(work, `case-${count}`);
    await mkdir(path.join(dir, 'drop'), { recursive: true });
    await writeFile(path.join(dir, 'drop', 'report_20261101.csv'), 'id,amount\n1,10\n');
    await writeFile(path.join(dir, 'drop', 'broken_20261102.csv.gz'), 'this is not gzip at all');
    return writeOctoConfig(dir, {
      store: `file://${path.join(dir, 'buckets')}`,
      workDir: path.join(dir, 'work'),
      notify,
      providers: {
        example: { plugin: 'example', source: `file://${path.join(dir, 'drop')}`, bucket: 'hook-bucket', settings: { seed: false }, ...(providerNotify ? { notify: providerNotify } : {}) },
      },
    });
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'octo-webhooks-'));
  });

  afterAll(async () => {
    await receiver?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('should POST a signed summary listing every failed file, and a Slack message to the provider\'s own hook', async () => {
    receiver = await startWebhookReceiver();
    const config = await setup(
      { webhooks: [{ url: receiver.url, secret: 'env:OCTO_TEST_HOOK_SECRET' }] },
      { webhooks: [{ url: 'env:OCTO_TEST_SLACK_URL', format: 'slack', on: ['end'] }] },
    );
    const run = await runOctoCli(['sync', 'example', '--config', config], { env: { OCTO_TEST_HOOK_SECRET: SECRET, OCTO_TEST_SLACK_URL: `${receiver.url}/slack` } });
    expect(run.code).toBe(1);
    const [octo, slack] = [...receiver.received].sort((a, b) => a.path.localeCompare(b.path));
    expect(receiver.received).toHaveLength(2);
    expect(octo!.path).toBe('/hooks/octo');
    expect(verifyWebhook(SECRET, octo!.body, octo!.headers['octo-signature'] as string)).toEqual({ ok: true });
    const body = JSON.parse(octo!.body);
    expect(body).toMatchObject({ event: 'job.failed', provider: 'example', job: { status: 'partial', total: 2, succeeded: 1, failed: 1 }, failedFilesOmitted: 0 });
    expect(body.failedFiles).toEqual([
      { path: 'broken_20261102.csv.gz', kind: 'unpack', reason: expect.stringMatching(/^broken_20261102\.csv\.gz is named as gzip but its content is bytes 74 68 69 73/) },
    ]);
    expect(slack!.path).toBe('/hooks/octo/slack');
    expect(slack!.headers['octo-signature']).toBeUndefined();
    expect(JSON.parse(slack!.body).text).toMatch(/^:warning: octo: example job partial — 1 of 2 file\(s\) ingested, 1 failed \(job [0-9a-f-]{36}\)\n• broken_20261102\.csv\.gz: /);
  });

  it('should not announce a dry run, nor a clean job to a hook that asked for failures only', async () => {
    receiver = await startWebhookReceiver();
    const config = await setup({ webhooks: [{ url: receiver.url, secret: 'env:OCTO_TEST_HOOK_SECRET' }] });
    await runOctoCli(['sync', 'example', '--dry-run', '--config', config], { env: { OCTO_TEST_HOOK_SECRET: SECRET } });
    expect(receiver.received).toHaveLength(0);
    const dir = path.dirname(config);
    await rm(path.join(dir, 'drop', 'broken_20261102.csv.gz'));
    const run = await runOctoCli(['sync', 'example', '--config', config], { env: { OCTO_TEST_HOOK_SECRET: SECRET } });
    expect(run.code).toBe(0);
    expect(receiver.received).toHaveLength(0);
  });

  it('when the receiver is down, should keep the job\'s result and exit status, and say so naming only the origin', async () => {
    const port = await freePort();
    const config = await setup({ webhooks: [{ url: `http://127.0.0.1:${port}/T0/B0/token-in-path`, secret: 'env:OCTO_TEST_HOOK_SECRET', attempts: 2 }] });
    const run = await runOctoCli(['sync', 'example', '--json', '--config', config], { env: { OCTO_TEST_HOOK_SECRET: SECRET } });
    expect(run.code).toBe(1);
    const last = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ type: 'job.finished', summary: { status: 'partial', succeeded: 1, failed: 1 } });
    expect(run.stderr).toContain(`webhook delivery to http://127.0.0.1:${port} failed after 2 attempt(s): the connection was refused (nothing listens there); the job's result is unchanged`);
    expect(run.stderr + run.stdout).not.toContain('token-in-path');
    expect(run.stderr + run.stdout).not.toContain(SECRET);
  });

  it('when the hook\'s secret is not set, should say which reference, and still finish the job', async () => {
    receiver = await startWebhookReceiver();
    const config = await setup({ webhooks: [{ url: receiver.url, secret: 'env:OCTO_TEST_UNSET_SECRET' }] });
    const run = await runOctoCli(['sync', 'example', '--config', config], { env: { OCTO_TEST_UNSET_SECRET: undefined } });
    expect(run.code).toBe(1);
    expect(receiver.received).toHaveLength(0);
    expect(run.stderr).toContain('secret env:OCTO_TEST_UNSET_SECRET is not set: export OCTO_TEST_UNSET_SECRET in the environment that runs octo');
  });
});
