import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, OctoConfigInput } from '@octo/core';
import { writeOctoConfig } from './config-files.js';
import { writeKeystreamFile } from './keystream-file.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { createBucket, listKeys, openUploads } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';
import { runOctoCli } from './octo-cli.js';
import { startSilentServer, type SilentServer } from './silent-server.js';
import { startStallingS3Server, type StallingS3Server } from './stalling-s3-server.js';

/** The CLI's documented cancel deadline (apps/cli CANCEL_DEADLINE_MS), plus what a loaded 2-core machine needs to tear down. */
const DEADLINE_MS = 10_000;
const SLACK_MS = 4_000;

const events = (stdout: string): JobEvent[] => stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as JobEvent);

describe('octo sync on SIGTERM and SIGINT', () => {
  let work: string;
  let silent: SilentServer;
  let stalling: StallingS3Server;
  let count = 0;

  /** A config whose `example` provider reads a local drop of two plain files and lands in `store`. */
  async function setup(store: OctoConfigInput['store']): Promise<{ dir: string; config: string }> {
    count += 1;
    const dir = path.join(work, `case-${count}`);
    await mkdir(path.join(dir, 'drop'), { recursive: true });
    await writeFile(path.join(dir, 'drop', 'report_20261101.csv'), 'id,amount\n1,10\n');
    await writeFile(path.join(dir, 'drop', 'report_20261102.csv'), 'id,amount\n2,20\n');
    const config = await writeOctoConfig(dir, {
      store,
      workDir: path.join(dir, 'work'),
      providers: { example: { plugin: 'example', source: `file://${path.join(dir, 'drop')}`, bucket: 'signal-bucket', settings: { seed: false } } },
    });
    return { dir, config };
  }

  /** The store on a fake endpoint; the request timeout is far beyond the test, so only the cancel can end the wait. */
  const hangingStore = (endpoint: string) => ({ url: 's3://', endpoint, forcePathStyle: true, region: 'us-east-1', requestTimeoutMs: 600_000, maxAttempts: 1 });

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'octo-signals-'));
    silent = await startSilentServer();
    stalling = await startStallingS3Server();
  });

  afterAll(async () => {
    await silent?.stop();
    await stalling?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`when the S3 endpoint accepts connections and never answers, should end at the first ${signal} with the summary and exit 130`, async () => {
      const { dir, config } = await setup(hangingStore(silent.endpoint));
      const before = silent.connections();
      const run = await runOctoCli(['sync', 'example', '--config', config], {
        env: TEST_AWS_ENV,
        measureRss: false,
        // The store check is on the wire: the job is waiting on the silent endpoint.
        signal: { signal, when: () => silent.connections() > before },
      });
      expect(run.signalsSent).toBe(1);
      expect(run.killedBy).toBeNull();
      expect(run.code, run.stderr).toBe(130);
      // The check takes no signal, but the job does not wait for it: well within the deadline.
      expect(run.msFromSignalToExit).toBeLessThan(DEADLINE_MS);
      expect(run.stdout).toMatch(/example\s+cancelled\s+0\s+0\s+0/);
      expect(run.stdout).toContain('example: job cancelled [cancelled] the job was cancelled while the store was checked');
      expect(run.stderr).toContain(`octo: ${signal}: cancelling; files in flight are aborted and nothing partial lands (waiting at most 10 s; send it again to exit now)`);
      // The job history says cancelled, not running (which a restarted API would show as interrupted).
      const [report] = (await readdir(path.join(dir, 'work', 'jobs'))).filter((name) => name.endsWith('.json'));
      expect(JSON.parse(await readFile(path.join(dir, 'work', 'jobs', report!), 'utf8'))).toMatchObject({ provider: 'example', status: 'cancelled' });
    });
  }

  it('when the SFTP server accepts connections and never speaks SSH, should end at the first SIGTERM without waiting for the connect timeout', async () => {
    const { dir } = await setup('file://buckets');
    const config = await writeOctoConfig(dir, {
      store: `file://${path.join(dir, 'buckets')}`,
      workDir: path.join(dir, 'work'),
      providers: {
        example: {
          plugin: 'example',
          bucket: 'signal-bucket',
          source: { url: `sftp://octo@127.0.0.1:${silent.port}/drop`, hostKey: 'SHA256:2GCIRtoKW81m1YOhw5yblZOslfya6FodGgHxDBly+TE', password: 'env:OCTO_T_SFTP_PASSWORD' },
        },
      },
    }, 'sftp.yaml');
    const before = silent.connections();
    const run = await runOctoCli(['sync', 'example', '--config', config], {
      env: { OCTO_T_SFTP_PASSWORD: 'not-used-the-server-never-asks' },
      measureRss: false,
      signal: { when: () => silent.connections() > before },
    });
    expect(run.code, run.stderr).toBe(130);
    // The connect attempt (20 s by default) is let go of, not waited for.
    expect(run.msFromSignalToExit).toBeLessThan(DEADLINE_MS);
    expect(run.stdout).toContain('example: job cancelled [cancelled] the job was cancelled while the source was listed');
  });

  it('when a file is in flight and its upload never gets an answer, should stop waiting at the deadline, print the summary and exit 130', async () => {
    const { dir, config } = await setup(hangingStore(stalling.endpoint));
    const run = await runOctoCli(['sync', 'example', '--json', '--concurrency', '1', '--config', config], {
      env: TEST_AWS_ENV,
      measureRss: false,
      // The first write of the file (its key claim or its upload) is on the wire and will never be answered.
      signal: { when: () => stalling.stalled().some((request) => /^(PUT|POST) \/signal-bucket\//.test(request)) },
    });
    expect(run.code, run.stderr).toBe(130);
    expect(run.msFromSignalToExit).toBeGreaterThanOrEqual(DEADLINE_MS - 500);
    expect(run.msFromSignalToExit).toBeLessThan(DEADLINE_MS + SLACK_MS);
    const finished = events(run.stdout).filter((event) => event.type === 'job.finished');
    expect(finished).toHaveLength(1);
    const summary = finished[0]!.type === 'job.finished' ? finished[0]!.summary : undefined;
    expect(summary).toMatchObject({ provider: 'example', status: 'cancelled', total: 2, succeeded: 0, failed: 1, error: { kind: 'cancelled' } });
    expect(summary!.error!.reason).toBe(
      'cancelled by SIGTERM; the job did not end within 10 s (a call to the source or the store still waited), so octo stopped waiting: files in flight have no ledger record, and the next run takes them again',
    );
    expect(summary!.files).toEqual([expect.objectContaining({ path: 'report_20261101.csv', status: 'failed', kind: 'cancelled' })]);
    // Nothing was ever completed: no CompleteMultipartUpload (or any call on an upload id) was sent.
    expect(stalling.stalled().filter((request) => request.includes('uploadId='))).toEqual([]);
    const [report] = (await readdir(path.join(dir, 'work', 'jobs'))).filter((name) => name.endsWith('.json'));
    expect(JSON.parse(await readFile(path.join(dir, 'work', 'jobs', report!), 'utf8'))).toMatchObject({ status: 'cancelled', failed: 1 });
  });

  it('when a second signal comes while files abort, should exit 130 at once', async () => {
    const { config } = await setup(hangingStore(stalling.endpoint));
    const before = stalling.stalled().length;
    const run = await runOctoCli(['sync', 'example', '--config', config], {
      env: TEST_AWS_ENV,
      measureRss: false,
      signal: { repeatAfterMs: 500, when: () => stalling.stalled().length > before },
    });
    expect(run.signalsSent).toBe(2);
    expect(run.code, run.stderr).toBe(130);
    expect(run.msFromSignalToExit).toBeLessThan(DEADLINE_MS / 2);
    expect(run.stderr).toContain('octo: SIGTERM again: exiting now; files in flight have no ledger record and the next run takes them again');
  });

  it('octo serve: when a cancelled job still waits on an upload, should stop waiting after the grace period and exit', async () => {
    const { dir } = await setup('file://buckets');
    const token = 'signals-token-0123456789abcdef';
    const config = await writeOctoConfig(dir, {
      store: hangingStore(stalling.endpoint),
      workDir: path.join(dir, 'work'),
      providers: { example: { plugin: 'example', source: `file://${path.join(dir, 'drop')}`, bucket: 'signal-bucket', settings: { seed: false } } },
      api: { tokens: ['env:OCTO_T_TOKEN'], port: 0, shutdownDeadlineMs: 0, logLevel: 'warn' },
    }, 'serve.yaml');
    const before = stalling.stalled().length;
    let base: string | undefined;
    let posted = false;
    const run = await runOctoCli(['serve', '--config', config], {
      env: { ...TEST_AWS_ENV, OCTO_T_TOKEN: token },
      measureRss: false,
      signal: {
        when: (_stdout, stderr) => {
          base ??= /API listening on (http:\S+)/.exec(stderr)?.[1];
          if (base && !posted) {
            posted = true;
            void fetch(`${base}/v1/providers/example/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
          }
          return stalling.stalled().length > before;
        },
      },
    });
    expect(run.code, run.stderr).toBe(0);
    // Deadline 0, then the 10 s grace for the cancelled job to abort, then out.
    expect(run.msFromSignalToExit).toBeGreaterThanOrEqual(DEADLINE_MS - 500);
    expect(run.msFromSignalToExit).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(run.stderr).toContain('octo: API stopped (0 job(s) finished, 1 cancelled, 1 abandoned while a call to a source or store still waited)');
  });

  describe('over SFTP into S3', () => {
    let stack: SftpS3Stack;

    beforeAll(async () => {
      Object.assign(process.env, TEST_AWS_ENV);
      stack = await startSftpS3Stack('octo-signals-sftp-');
    });

    afterAll(() => stack?.stop());

    it('when SIGTERM comes mid-transfer, should abort the file, land nothing, leave no open upload, and exit 130 with the summary', async () => {
      const { sshd, moto, reader, dir } = stack;
      const drop = path.join(sshd.dropDir, 'signals');
      await mkdir(drop, { recursive: true });
      await writeKeystreamFile(path.join(drop, 'big_20261103.bin'), 256 * 1024 * 1024, 'signals');
      await createBucket(reader, 'signal-bucket');
      const config = await writeOctoConfig(dir, {
        store: { url: 's3://', endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1', partSizeMiB: 5, queueSize: 2 },
        workDir: path.join(dir, 'work'),
        providers: {
          example: {
            plugin: 'example',
            bucket: 'signal-bucket',
            source: { url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${drop}`, hostKey: sshd.hostKeyFingerprint, privateKey: `file:${sshd.userKeyFile}` },
          },
        },
      });
      const run = await runOctoCli(['sync', 'example', '--json', '--config', config], {
        env: TEST_AWS_ENV,
        measureRss: false,
        // Some bytes are through, most are not.
        signal: { when: (stdout) => events(stdout).some((event) => event.type === 'file.progress' && event.bytes > 0) },
      });
      expect(run.code, run.stderr).toBe(130);
      expect(run.msFromSignalToExit).toBeLessThan(DEADLINE_MS);
      const all = events(run.stdout);
      expect(all.filter((event) => event.type === 'file.done')).toEqual([]);
      const finished = all.find((event) => event.type === 'job.finished');
      expect(finished?.type === 'job.finished' && finished.summary).toMatchObject({ status: 'cancelled', total: 1, succeeded: 0, failed: 1 });
      expect(finished?.type === 'job.finished' && finished.summary.files[0]).toMatchObject({ path: 'big_20261103.bin', kind: 'cancelled' });
      expect(await listKeys(reader, 'signal-bucket')).toEqual([]);
      expect(await openUploads(reader, 'signal-bucket')).toEqual([]);
      // The SSH session ended with the job.
      expect(await sshd.sessionPids()).toEqual([]);
    });
  });
});
