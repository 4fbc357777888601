import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary, OctoConfigInput } from '@octo/core';
import { writeOctoConfig } from './config-files.js';
import { freePort } from './free-port.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { runOctoCli, type OctoCliRun } from './octo-cli.js';
import { startSilentServer, type SilentServer } from './silent-server.js';

/** Every NDJSON line of a run, parsed; a line that is not JSON fails the test. */
function lines(run: OctoCliRun): Array<Record<string, unknown>> {
  return run.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The last line must be the run's end: a `job.finished` per provider, or an `error` event. */
function lastSummary(run: OctoCliRun): JobSummary {
  const all = lines(run);
  const last = all[all.length - 1];
  expect(last?.['type']).toBe('job.finished');
  return last!['summary'] as JobSummary;
}

describe('octo sync --json always ends with job.finished or an error event', () => {
  let work: string;
  let silent: SilentServer;
  let count = 0;

  async function setup(overrides: Partial<OctoConfigInput> = {}): Promise<string> {
    count += 1;
    const dir = path.join(work, `case-${count}`);
    await mkdir(path.join(dir, 'drop'), { recursive: true });
    await writeFile(path.join(dir, 'drop', 'report_20261101.csv'), 'id,amount\n1,10\n');
    return writeOctoConfig(dir, {
      store: `file://${path.join(dir, 'buckets')}`,
      workDir: path.join(dir, 'work'),
      providers: { example: { plugin: 'example', source: `file://${path.join(dir, 'drop')}`, bucket: 'json-bucket', settings: { seed: false } } },
      ...overrides,
    });
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'octo-json-end-'));
    silent = await startSilentServer();
  });

  afterAll(async () => {
    await silent?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('when the provider is already syncing in another process, should print a failed job.finished naming it and exit 2', async () => {
    // The first run holds the provider's lock while it waits on a silent store.
    const config = await setup({ store: { url: 's3://', endpoint: silent.endpoint, forcePathStyle: true, region: 'us-east-1', requestTimeoutMs: 600_000, maxAttempts: 1 } });
    const before = silent.connections();
    const done = { second: false };
    const first = runOctoCli(['sync', 'example', '--json', '--config', config], { env: TEST_AWS_ENV, measureRss: false, signal: { when: () => done.second } });
    while (silent.connections() === before) await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await runOctoCli(['sync', 'example', '--json', '--config', config], { env: TEST_AWS_ENV });
    done.second = true;
    expect(second.code).toBe(2);
    const summary = lastSummary(second);
    expect(summary).toMatchObject({ provider: 'example', status: 'failed', total: 0, error: { kind: 'config' } });
    expect(summary.error!.reason).toMatch(/^provider example is already syncing \(job [0-9a-f-]{36}, pid \d+ on .+\); wait for it to finish$/);
    expect((await first).code).toBe(130);
  });

  it('when the provider is unknown, should print a failed job.finished with the known providers and exit 2', async () => {
    const run = await runOctoCli(['sync', 'nobody', '--json', '--config', await setup()]);
    expect(run.code).toBe(2);
    expect(lines(run)).toHaveLength(1);
    expect(lastSummary(run)).toMatchObject({
      provider: 'nobody',
      status: 'failed',
      error: { kind: 'config', reason: 'unknown provider "nobody": the configured providers are example' },
    });
    expect(run.stderr).toContain('octo: unknown provider "nobody"');
  });

  it('when the config is invalid, should print a failed job.finished for each named provider with the bad field', async () => {
    const config = await setup({ concurrency: 0 });
    const run = await runOctoCli(['sync', 'example', 'other', '--json', '--config', config]);
    expect(run.code).toBe(2);
    const all = lines(run);
    expect(all.map((line) => [line['type'], (line['summary'] as JobSummary).provider])).toEqual([
      ['job.finished', 'example'],
      ['job.finished', 'other'],
    ]);
    for (const line of all) {
      expect((line['summary'] as JobSummary).error).toMatchObject({ kind: 'config' });
      expect((line['summary'] as JobSummary).error!.reason).toContain('concurrency');
    }
  });

  it('when the config is invalid and --all names no provider, should print an error event', async () => {
    const run = await runOctoCli(['sync', '--all', '--json', '--config', await setup({ concurrency: 0 })]);
    expect(run.code).toBe(2);
    const all = lines(run);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ type: 'error', kind: 'config' });
    expect(all[0]!['reason']).toContain('concurrency');
  });

  it('when the command line is wrong, should print an error event with the usage message', async () => {
    const run = await runOctoCli(['sync', '--json', '--config', await setup()]);
    expect(run.code).toBe(2);
    expect(lines(run)).toEqual([{ type: 'error', kind: 'config', reason: 'name at least one provider, or pass --all', at: expect.any(String) }]);
  });

  it('when the store cannot be reached, should print a failed job.finished with the endpoint and exit 2', async () => {
    const port = await freePort();
    const config = await setup({ store: { url: 's3://', endpoint: `http://127.0.0.1:${port}`, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 } });
    const run = await runOctoCli(['sync', 'example', '--json', '--config', config], { env: TEST_AWS_ENV });
    expect(run.code).toBe(2);
    const summary = lastSummary(run);
    expect(summary).toMatchObject({ provider: 'example', status: 'failed', error: { kind: 'store' } });
    expect(summary.error!.reason).toContain(`cannot reach bucket json-bucket at http://127.0.0.1:${port}`);
  });
});
