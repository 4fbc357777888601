import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary, OctoConfigInput } from '@octo/core';
import { sha256 } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { keystreamBytes } from './keystream-file.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { buildOctoCliBundle, removeOctoCliBundle, runOctoCli, type OctoCliRun } from './octo-cli.js';
import { startRedis, type RedisServer } from './redis-server.js';
import { createBucket, listKeys, openUploads, readObject } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

/** A worker process in the background, stopped by SIGTERM when `stop()` is called (or SIGKILLed on a condition). */
interface BackgroundWorker {
  readonly run: Promise<OctoCliRun>;
  stop(): void;
}

describe('octo worker (distributed mode on BullMQ)', () => {
  let stack: SftpS3Stack;
  let redis: RedisServer;
  let bin: string;
  let count = 0;

  beforeAll(async () => {
    [stack, redis, bin] = await Promise.all([startSftpS3Stack('octo-dist-'), startRedis(), buildOctoCliBundle()]);
  });

  afterAll(async () => {
    await Promise.all([stack?.stop(), redis?.stop(), bin ? removeOctoCliBundle(bin) : undefined]);
  });

  /** A drop on sshd with `files` files, a bucket on moto, and a config in distributed mode on the test Redis. */
  async function scenario(files: number, size: number) {
    count += 1;
    const drop = path.join(stack.sshd.dropDir, `dist-${count}`);
    await mkdir(drop, { recursive: true });
    const expected = new Map<string, string>();
    for (let index = 0; index < files; index += 1) {
      const name = `part-${String(index).padStart(3, '0')}.bin`;
      const data = keystreamBytes(size + index, `dist-${count}-${index}`);
      await writeFile(path.join(drop, name), data);
      expected.set(name, sha256(data));
    }
    const bucket = `octo-dist-${count}`;
    await createBucket(stack.reader, bucket);
    const dir = path.join(stack.dir, `case-${count}`);
    await mkdir(dir, { recursive: true });
    const config: OctoConfigInput = {
      store: { url: 's3://', endpoint: stack.moto.endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 3 },
      workDir: path.join(dir, 'work'),
      queue: redis.url,
      jobs: { worker: { concurrency: 2, stallSeconds: 3, stopTimeoutSeconds: 10 } },
      providers: {
        example: {
          plugin: 'example',
          bucket,
          concurrency: 4,
          settings: { seed: false },
          source: {
            url: `sftp://${stack.sshd.user}@127.0.0.1:${stack.sshd.port}${drop}`,
            hostKey: stack.sshd.hostKeyFingerprint,
            privateKey: `file:${stack.sshd.userKeyFile}`,
            connectTimeoutMs: 10_000,
            readTimeoutMs: 10_000,
          },
        },
      },
    };
    const configPath = await writeOctoConfig(dir, config);
    return { drop, bucket, expected, configPath };
  }

  function startWorker(configPath: string, options: { killWhen?: (stderr: string) => boolean } = {}): BackgroundWorker {
    let stopping = false;
    const run = runOctoCli(['worker', '--config', configPath, '-vv'], {
      bin,
      env: TEST_AWS_ENV,
      measureRss: false,
      killAfterMs: 90_000,
      signal: options.killWhen
        ? { signal: 'SIGKILL', when: (_stdout, stderr) => options.killWhen!(stderr) }
        : { signal: 'SIGTERM', when: () => stopping },
    });
    return { run, stop: () => void (stopping = true) };
  }

  async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  describe('when three workers share 60 files and one is SIGKILLed mid-run', () => {
    it('should land all 60 exactly once, byte-identical, with a complete ledger, a right summary and the retried files said so', async () => {
      const { bucket, expected, configPath } = await scenario(60, 512 * 1024);
      let killedStderr = '';
      const victim = startWorker(configPath, {
        killWhen: (stderr) => {
          killedStderr = stderr;
          return /file started/.test(stderr);
        },
      });
      const others = [startWorker(configPath), startWorker(configPath)];
      let firstOut = '';
      const sync = runOctoCli(['sync', 'example', '--json', '--config', configPath], {
        bin,
        env: TEST_AWS_ENV,
        measureRss: false,
        killAfterMs: 90_000,
        // Watches the first run's events, to start the second one while it runs.
        signal: { when: (stdout) => ((firstOut = stdout), false) },
      });
      await waitFor(() => firstOut.includes('"type":"job.started"'), 'the first sync to start');
      const firstJobId = (JSON.parse(firstOut.split('\n').find((line) => line.includes('"type":"job.started"'))!) as { jobId: string }).jobId;
      const second = await runOctoCli(['sync', 'example', '--json', '--config', configPath], { bin, env: TEST_AWS_ENV, measureRss: false });

      const first = await sync;
      const killed = await victim.run;
      for (const worker of others) worker.stop();
      const stopped = await Promise.all(others.map((worker) => worker.run));

      expect(first.code, `${first.stderr}\n${first.stdout.split('\n').slice(-5).join('\n')}`).toBe(0);
      // The second start during the run is refused, naming the running job.
      expect(second.code).toBe(2);
      expect(second.summaries[0]?.error?.reason).toMatch(new RegExp(`^provider example is already syncing \\(job ${firstJobId}, pid \\d+ on .+\\); wait for it to finish$`));

      expect(killed.killedBy, killedStderr).toBe('SIGKILL');
      for (const run of stopped) {
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toMatch(/octo: SIGTERM: taking no new files/);
      }

      const summary = first.summaries[0] as JobSummary;
      expect(summary).toMatchObject({ jobId: firstJobId, provider: 'example', status: 'succeeded', total: 60, succeeded: 60, failed: 0 });
      expect(summary.files.map((file) => file.path)).toEqual([...expected.keys()]);
      expect(summary.bytesIn).toBe([...expected.keys()].reduce((sum, _name, index) => sum + 512 * 1024 + index, 0));
      // The killed worker's files were taken by another after the stall interval, and say so.
      const retried = summary.files.filter((file) => file.attempt === 2);
      expect(retried.length).toBeGreaterThanOrEqual(1);
      expect(summary.files.filter((file) => file.attempt !== undefined && file.attempt !== 2)).toEqual([]);
      // Exactly one file.done per file on the event stream.
      const doneEvents = first.events.filter((event) => event.type === 'file.done').map((event) => (event as { path: string }).path);
      expect(doneEvents.sort()).toEqual([...expected.keys()]);

      const dataKeys = (await listKeys(stack.reader, bucket)).filter((key) => !key.startsWith('_octo/'));
      expect(dataKeys.map((key) => key.split('/').pop()).sort()).toEqual([...expected.keys()]);
      for (const key of dataKeys) expect(sha256(await readObject(stack.reader, bucket, key))).toBe(expected.get(key.split('/').pop()!));
      expect(await listKeys(stack.reader, bucket, '_octo/ledger/')).toHaveLength(60);
      expect(await openUploads(stack.reader, bucket)).toEqual([]);
    });
  });
});
