import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OctoConfigInput } from '@octo/core';
import { RedisJobStore } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { freePort, waitForPort } from './free-port.js';
import { buildOctoCliBundle, removeOctoCliBundle, runOctoCli, type OctoCliRun } from './octo-cli.js';
import { startRedis, type RedisServer } from './redis-server.js';

const TICK_MS = 10_000;
const TICKS = 3;

interface TickLine {
  readonly msg: string;
  readonly time: string;
  readonly provider?: string;
  readonly jobId?: string;
}

async function tickLines(logFile: string): Promise<TickLine[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TickLine)
    .filter((line) => line.msg.startsWith('scheduled sync'));
}

describe('schedules in distributed mode (BullMQ job schedulers)', () => {
  let redis: RedisServer;
  let bin: string;
  let dir: string;

  beforeAll(async () => {
    [redis, bin, dir] = await Promise.all([startRedis(), buildOctoCliBundle(), mkdtemp(path.join(os.tmpdir(), 'octo-dist-sched-'))]);
  });

  afterAll(async () => {
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (bin) await removeOctoCliBundle(bin);
  });

  it('should start exactly one sync per tick with two workers and an octo serve, each recorded once in the job store', { timeout: 70_000 }, async () => {
    const drop = path.join(dir, 'drop');
    await mkdir(drop, { recursive: true });
    const data = Buffer.from('id,amount\n1,42\n2,17\n');
    await writeFile(path.join(drop, 'payments.csv'), data);
    const token = 'sched-token-0123456789abcdef';
    const port = await freePort();
    const config: OctoConfigInput = {
      store: `file://${path.join(dir, 'buckets')}`,
      // The API only upserts the schedulers in distributed mode: it must not tick as well.
      api: { tokens: ['env:OCTO_T_TOKEN'], host: '127.0.0.1', port, logLevel: 'info' },
      workDir: path.join(dir, 'work'),
      queue: redis.url,
      providers: { example: { plugin: 'example', source: `file://${drop}`, bucket: 'sched-bucket', settings: { seed: false }, schedule: { every: '10s' } } },
    };
    const configPath = await writeOctoConfig(dir, config);

    // Starts just after a tick, so the schedulers are upserted well before the next one: the ticks counted are the next TICKS.
    while (Date.now() % TICK_MS > 500) await new Promise((resolve) => setTimeout(resolve, 50));
    const firstTick = Math.ceil(Date.now() / TICK_MS) * TICK_MS;
    let stopping = false;
    const logs = [path.join(dir, 'worker-1.log'), path.join(dir, 'worker-2.log'), path.join(dir, 'serve.log')];
    const processes: Promise<OctoCliRun>[] = logs.map((logFile, index) =>
      runOctoCli([index < 2 ? 'worker' : 'serve', '--config', configPath, '-v', '--log-file', logFile], {
        bin,
        env: { OCTO_T_TOKEN: token },
        measureRss: false,
        killAfterMs: 65_000,
        signal: { signal: 'SIGTERM', when: () => stopping },
      }),
    );
    await waitForPort(port);
    // The next run the API shows is the schedulers' next tick.
    const providers = (await (await fetch(`http://127.0.0.1:${port}/v1/providers`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: { name: string; nextRunAt: string }[] };
    expect(providers.items.map((item) => [item.name, item.nextRunAt])).toEqual([['example', new Date(firstTick).toISOString()]]);
    const lastTick = firstTick + (TICKS - 1) * TICK_MS;
    // Long enough after the last tick for its sync to end, well before the next one.
    await new Promise((resolve) => setTimeout(resolve, lastTick + 4_000 - Date.now()));
    stopping = true;
    const runs = await Promise.all(processes);
    for (const run of runs) expect(run.code, run.stderr).toBe(0);

    const lines = (await Promise.all(logs.map(tickLines))).flat().sort((a, b) => a.time.localeCompare(b.time));
    expect((await readFile(logs[2]!, 'utf8'))).toContain('schedules run by the workers (BullMQ job schedulers in Redis)');
    // One tick, one worker taking it: no tick was taken twice, and none was skipped.
    expect(lines.map((line) => line.msg)).toEqual(Array.from({ length: TICKS }, () => 'scheduled sync started'));
    expect(lines.map((line) => Math.floor(Date.parse(line.time) / TICK_MS) * TICK_MS)).toEqual(Array.from({ length: TICKS }, (_, index) => firstTick + index * TICK_MS));

    const store = await RedisJobStore.connect(redis.url);
    try {
      const jobs = (await store.list()).filter((job) => job.provider === 'example').reverse();
      expect(jobs.map((job) => job.jobId)).toEqual(lines.map((line) => line.jobId));
      expect(jobs.map((job) => job.status)).toEqual(Array.from({ length: TICKS }, () => 'succeeded'));
      // Each sync started within a second or two of its own tick.
      for (const [index, job] of jobs.entries()) {
        const lag = Date.parse(job.createdAt) - (firstTick + index * TICK_MS);
        expect(lag, job.createdAt).toBeGreaterThanOrEqual(0);
        expect(lag, job.createdAt).toBeLessThan(3_000);
      }
      // The first tick landed the file; the others found nothing new.
      expect(jobs.map((job) => job.succeeded)).toEqual([1, 0, 0]);
    } finally {
      await store.close();
    }
    // Landed once, byte-identical, whichever worker took it.
    const bucket = path.join(dir, 'buckets', 'sched-bucket');
    const landed = (await readdir(bucket, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => path.relative(bucket, path.join(entry.parentPath, entry.name)));
    expect(landed.filter((key) => !key.startsWith('_octo/'))).toEqual(['data/csv/example/undated/payments.csv']);
    expect(landed.filter((key) => key.startsWith('_octo/ledger/'))).toHaveLength(1);
    expect(await readFile(path.join(bucket, 'data/csv/example/undated/payments.csv'))).toEqual(data);
  });
});
