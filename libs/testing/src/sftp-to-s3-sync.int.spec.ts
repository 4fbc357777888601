import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type JobEvent, type JobSummary, type Logger, type OctoConfigInput } from '@octo/core';
import { plainProvider, rawNameTar, rawNameZip, sha256 } from '@octo/core/testing';
import type { S3Client } from '@aws-sdk/client-s3';
import { writeOctoConfig } from './config-files.js';
import { isUploadPart, startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { keystreamBytes, writeKeystreamFile } from './keystream-file.js';
import { startMotoS3, TEST_AWS_ENV, type MotoS3Server } from './moto-s3-server.js';
import { createBucket, hashObject, listKeys, openUploads, readObject, readText } from './s3-inspect.js';
import { startSshd, type SshdServer } from './sshd-server.js';


interface Logged {
  readonly level: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

describe('SyncJob over SFTP and S3', () => {
  let sshd: SshdServer;
  let moto: MotoS3Server;
  let proxy: FaultProxy;
  let reader: S3Client;
  let work: string;
  let counter = 0;

  /** A fresh drop folder, bucket and config for one scenario. */
  async function scenario(options: { source?: Record<string, unknown>; store?: Record<string, unknown>; concurrency?: number } = {}) {
    counter += 1;
    const name = `case-${counter}`;
    const drop = path.join(sshd.dropDir, name);
    await mkdir(drop, { recursive: true });
    const bucket = `octo-sync-${counter}`;
    await createBucket(reader, bucket);
    const dir = path.join(work, name);
    await mkdir(dir, { recursive: true });
    const config: OctoConfigInput = {
      store: { url: 's3://', endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1', partSizeMiB: 5, queueSize: 2, maxAttempts: 3, ...options.store },
      workDir: path.join(dir, 'work'),
      concurrency: options.concurrency ?? 2,
      providers: {
        plain: {
          plugin: 'plain',
          bucket,
          source: {
            url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${drop}`,
            hostKey: sshd.hostKeyFingerprint,
            privateKey: `file:${sshd.userKeyFile}`,
            connectTimeoutMs: 10_000,
            readTimeoutMs: 10_000,
            ...options.source,
          },
        },
      },
    };
    const configPath = await writeOctoConfig(dir, config);
    const logs: Logged[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (message, fields) => logs.push({ level: 'info', message, fields }),
      warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
      error: (message, fields) => logs.push({ level: 'error', message, fields }),
    };
    const run = async (onEvent?: (event: JobEvent, job: { cancel(): void }) => void | Promise<void>): Promise<{ summary: JobSummary; events: JobEvent[] }> => {
      const runtime = await createOctoRuntime({ configPath, plugins: [plainProvider], logger });
      const job = await runtime.jobs.start('plain');
      const events: JobEvent[] = [];
      job.subscribe((event) => {
        events.push(event);
        void onEvent?.(event, job);
      });
      return { summary: await job.done, events };
    };
    const dataKeys = async () => (await listKeys(reader, bucket)).filter((key) => !key.startsWith('_octo/'));
    const ledgerKeys = async () => listKeys(reader, bucket, '_octo/ledger/');
    return { drop, bucket, run, logs, dataKeys, ledgerKeys };
  }

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    [sshd, moto] = await Promise.all([startSshd(), startMotoS3()]);
    proxy = await startFaultProxy(moto.endpoint, { seed: 11 });
    reader = moto.client();
    work = await mkdtemp(path.join(os.tmpdir(), 'octo-sync-'));
  });

  afterAll(async () => {
    reader?.destroy();
    await proxy?.stop();
    await Promise.all([sshd?.stop(), moto?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('when several files are read at once', () => {
    it('should share a pool of at most `connections` SSH connections and close them all at job end', async () => {
      const { drop, bucket, run, dataKeys } = await scenario({ source: { connections: 2 }, concurrency: 4 });
      const expected = new Map<string, string>();
      for (let index = 0; index < 6; index += 1) {
        const data = keystreamBytes(6 * 1024 * 1024, `pool-${index}`);
        await writeFile(path.join(drop, `file-${index}.bin`), data);
        expected.set(`file-${index}.bin`, sha256(data));
      }
      let peak = 0;
      let polling = true;
      const poller = (async () => {
        while (polling) {
          peak = Math.max(peak, (await sshd.sessionPids()).length);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      const { summary } = await run();
      polling = false;
      await poller;
      expect(summary.status).toBe('succeeded');
      expect(summary.succeeded).toBe(6);
      expect(peak).toBeGreaterThanOrEqual(1);
      expect(peak).toBeLessThanOrEqual(2);
      for (const key of await dataKeys()) {
        expect(sha256(await readObject(reader, bucket, key))).toBe(expected.get(key.split('/').pop()!));
      }
      expect(await waitForNoSessions()).toEqual([]);
    });
  });

  describe('when the credentials are wrong', () => {
    it('should report one auth error for the job, not one failure per file, and land nothing', async () => {
      const { drop, bucket, run, dataKeys, ledgerKeys } = await scenario({ source: { privateKey: `file:${sshd.otherUserKeyFile}` } });
      for (const name of ['a.csv', 'b.csv', 'c.csv', 'd.csv']) await writeFile(path.join(drop, name), `${name}\n`);
      const { summary, events } = await run();
      expect(summary.status).toBe('failed');
      expect(summary.error).toEqual({
        kind: 'auth',
        reason: `authentication failed for ${sshd.user}@127.0.0.1:${sshd.port}: the server refused the private key. Check source.privateKey / source.password (and the key's passphrase), and that the key is authorized for this user`,
      });
      expect(summary.files).toEqual([]);
      expect(events.filter((event) => event.type === 'file.failed')).toHaveLength(0);
      expect(await dataKeys()).toEqual([]);
      expect(await ledgerKeys()).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);
      expect(await waitForNoSessions()).toEqual([]);
    });

    it('should report a wrong password once too', async () => {
      process.env['OCTO_SYNC_WRONG_PASSWORD'] = 'wrong';
      const { drop, run, dataKeys } = await scenario({ source: { privateKey: undefined, password: 'env:OCTO_SYNC_WRONG_PASSWORD' } });
      await writeFile(path.join(drop, 'a.csv'), 'a\n');
      const { summary } = await run();
      expect(summary.error?.kind).toBe('auth');
      expect(summary.error?.reason).toContain('the server refused the password');
      expect(summary.files).toEqual([]);
      expect(await dataKeys()).toEqual([]);
    });
  });

  describe('when the host key is not the pinned one, or not pinned', () => {
    it('should fail the job with a hostkey error and download nothing', async () => {
      const mismatch = await scenario({ source: { hostKey: 'SHA256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB' } });
      await writeFile(path.join(mismatch.drop, 'a.csv'), 'a\n');
      const first = await mismatch.run();
      expect(first.summary.error?.kind).toBe('hostkey');
      expect(first.summary.error?.reason).toContain(`the server presented ${sshd.hostKeyFingerprint}`);
      expect(first.summary.total).toBe(0);
      expect(await mismatch.dataKeys()).toEqual([]);

      const unpinned = await scenario({ source: { hostKey: undefined } });
      await writeFile(path.join(unpinned.drop, 'a.csv'), 'a\n');
      const second = await unpinned.run();
      expect(second.summary.error?.kind).toBe('hostkey');
      expect(second.summary.error?.reason).toMatch(/^no host key pinned for sftp:\/\//);
      expect(await unpinned.dataKeys()).toEqual([]);
    });
  });

  describe('when a file is still growing', () => {
    it('should skip it, then ingest it whole on the next run', async () => {
      const { drop, bucket, run, dataKeys } = await scenario({ source: { stabilityCheckMs: 1_500 } });
      await writeFile(path.join(drop, 'stable.csv'), 'id\n1\n');
      const growing = path.join(drop, 'growing.csv');
      await writeFile(growing, 'id\n1\n');
      // The writer keeps appending while the job takes its two looks.
      const writer = setInterval(() => void appendFile(growing, '2\n'), 200);
      let first: JobSummary;
      try {
        first = (await run()).summary;
      } finally {
        clearInterval(writer);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(first.status).toBe('succeeded');
      expect(first.files.map((file) => file.path)).toEqual(['stable.csv']);
      expect(await dataKeys()).toHaveLength(1);

      const second = (await run()).summary;
      expect(second.files.map((file) => file.path)).toEqual(['growing.csv']);
      const keys = await dataKeys();
      expect(keys).toHaveLength(2);
      const grownKey = keys.find((key) => key.endsWith('/growing.csv'))!;
      expect((await readObject(reader, bucket, grownKey)).equals(await readFile(growing))).toBe(true);
    });
  });

  describe('when the SFTP connection is cut mid-transfer', () => {
    it('should resume from the byte reached and land the file intact', async () => {
      const { drop, bucket, run, logs, dataKeys } = await scenario();
      const written = await writeKeystreamFile(path.join(drop, 'big.bin'), 64 * 1024 * 1024, 'resume');
      let kills = 0;
      const { summary } = await run(async (event) => {
        if (event.type === 'file.progress' && kills === 0 && event.bytes > 0 && event.bytes < event.size) {
          kills += 1;
          await sshdKill();
        }
      });
      expect(kills).toBe(1);
      expect(summary.status).toBe('succeeded');
      expect(logs.some((log) => log.message === 'sftp transfer dropped; reconnecting to resume' && log.fields?.['path'] === 'big.bin')).toBe(true);
      const [key] = await dataKeys();
      expect(await hashObject(reader, bucket, key!)).toEqual({ sha256: written.sha256, size: written.size });
      expect(await openUploads(reader, bucket)).toEqual([]);
      expect(await waitForNoSessions()).toEqual([]);
    });

    it('should fail the file cleanly when it cannot resume, leave no partial object, and a rerun completes', async () => {
      // One file at a time, so the cut hits big.bin only.
      const { drop, bucket, run, dataKeys, ledgerKeys } = await scenario({ source: { resumeRetries: 0 }, concurrency: 1 });
      const written = await writeKeystreamFile(path.join(drop, 'big.bin'), 48 * 1024 * 1024, 'rerun');
      await writeFile(path.join(drop, 'small.csv'), 'x\n');
      let kills = 0;
      const first = await run(async (event) => {
        if (event.type === 'file.progress' && event.path === 'big.bin' && kills === 0 && event.bytes < event.size) {
          kills += 1;
          await sshdKill();
        }
      });
      expect(kills).toBe(1);
      expect(first.summary.status).toBe('partial');
      expect(first.summary.files.map((file) => [file.path, file.status])).toEqual([
        ['big.bin', 'failed'],
        ['small.csv', 'done'],
      ]);
      const failed = first.summary.files.find((file) => file.path === 'big.bin');
      expect(failed?.status).toBe('failed');
      expect(failed?.status === 'failed' && failed.reason).toMatch(/big\.bin: the SFTP transfer dropped at byte \d+ of 50331648/);
      expect((await dataKeys()).filter((key) => key.endsWith('big.bin'))).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);
      const ledgerBefore = await ledgerKeys();

      const second = await run();
      expect(second.summary.status).toBe('succeeded');
      expect(second.summary.files.map((file) => file.path)).toEqual(['big.bin']);
      const bigKey = (await dataKeys()).find((key) => key.endsWith('big.bin'))!;
      expect(await hashObject(reader, bucket, bigKey)).toEqual({ sha256: written.sha256, size: written.size });
      expect((await ledgerKeys()).length).toBe(ledgerBefore.length + 1);
    });
  });

  describe('when the job is cancelled mid-transfer', () => {
    it('should abort the uploads in flight and close the connections: nothing visible, nothing open', async () => {
      const { drop, bucket, run, dataKeys, ledgerKeys } = await scenario();
      await writeKeystreamFile(path.join(drop, 'big.bin'), 64 * 1024 * 1024, 'cancel');
      let cancelled = false;
      const { summary } = await run((event, job) => {
        if (event.type === 'file.progress' && !cancelled && event.bytes > 0 && event.bytes < event.size) {
          cancelled = true;
          job.cancel();
        }
      });
      expect(cancelled).toBe(true);
      expect(summary.status).toBe('cancelled');
      expect(await dataKeys()).toEqual([]);
      expect(await ledgerKeys()).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);
      expect(await waitForNoSessions()).toEqual([]);
    });
  });

  describe('when the S3 server fails requests', () => {
    it('should retry and land the files while failures are occasional', async () => {
      const { drop, bucket, run, dataKeys } = await scenario({ store: { endpoint: proxy.endpoint, maxAttempts: 8 } });
      const data = keystreamBytes(12 * 1024 * 1024, 'occasional');
      await writeFile(path.join(drop, 'one.bin'), data);
      await writeFile(path.join(drop, 'two.csv'), 'id\n2\n');
      proxy.reset();
      proxy.setFaults({ rate: 0.25, mode: 'mixed' });
      let summary: JobSummary;
      try {
        summary = (await run()).summary;
      } finally {
        proxy.setFaults(undefined);
      }
      expect(summary.status).toBe('succeeded');
      expect(proxy.requests.filter((request) => request.outcome !== 'forwarded').length).toBeGreaterThan(0);
      const key = (await dataKeys()).find((candidate) => candidate.endsWith('one.bin'))!;
      expect(sha256(await readObject(reader, bucket, key))).toBe(sha256(data));
      expect(await openUploads(reader, bucket)).toEqual([]);
    });

    it('should abort the upload when retries run out: nothing visible, no open upload, no ledger record; a rerun lands it', async () => {
      const { drop, bucket, run, dataKeys, ledgerKeys } = await scenario({ store: { endpoint: proxy.endpoint, maxAttempts: 2 } });
      const data = keystreamBytes(11 * 1024 * 1024, 'exhausted');
      await writeFile(path.join(drop, 'one.bin'), data);
      proxy.reset();
      proxy.setFaults({ rate: 1, mode: 'mixed', match: isUploadPart });
      let first: JobSummary;
      try {
        first = (await run()).summary;
      } finally {
        proxy.setFaults(undefined);
      }
      expect(first.status).toBe('partial');
      const failed = first.files[0]!;
      expect(failed.status === 'failed' && failed.kind).toBe('store');
      expect(failed.status === 'failed' && failed.reason).toMatch(/cannot upload data\/other\/.+\/one\.bin to s3:\/\/octo-sync-\d+\/: .* after 2 attempts$/);
      expect(proxy.requests.filter(isUploadPart).length).toBeGreaterThanOrEqual(2);
      expect(await dataKeys()).toEqual([]);
      expect(await ledgerKeys()).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);

      const second = (await run()).summary;
      expect(second.status).toBe('succeeded');
      const [key] = await dataKeys();
      expect(sha256(await readObject(reader, bucket, key!))).toBe(sha256(data));
    });
  });

  describe('when names are not valid UTF-8', () => {
    it('should land a Latin-1 file and the Latin-1 and CP437 entries of its archives under keys read by the documented rule, with the bytes in the ledger', async () => {
      const { drop, bucket, run, dataKeys, ledgerKeys } = await scenario();
      const rawName = (name: string) => Buffer.concat([Buffer.from(drop), Buffer.from('/'), Buffer.from(name, 'latin1')]);
      await writeFile(rawName('r\xe9sum\xe9.csv.gz'), gzipSync('id\n1\n'));
      await writeFile(rawName('lot.tar'), rawNameTar([{ name: Buffer.from('d\xe9tail \x80.csv', 'latin1'), body: 'tar entry\n' }]));
      await writeFile(rawName('lot.zip'), rawNameZip([{ name: Buffer.from('r\x82sum\x82.pdf', 'latin1'), body: 'zip entry\n' }]));

      const { summary } = await run();

      expect(summary.status).toBe('succeeded');
      expect(await dataKeys()).toEqual(['data/csv/plain/détail €.csv', 'data/csv/plain/résumé.csv', 'data/pdf/plain/résumé.pdf']);
      expect((await readObject(reader, bucket, 'data/csv/plain/résumé.csv')).toString()).toBe('id\n1\n');
      expect((await readObject(reader, bucket, 'data/csv/plain/détail €.csv')).toString()).toBe('tar entry\n');
      const records = await Promise.all((await ledgerKeys()).map(async (key) => JSON.parse(await readText(reader, bucket, key)) as { path: string; rawPath?: string }));
      expect(records.map(({ path: p, rawPath }) => [p, rawPath]).sort()).toEqual([
        ['lot.tar', undefined],
        ['lot.zip', undefined],
        ['résumé.csv.gz', 'r%E9sum%E9.csv.gz'],
      ]);
      // A second run finds every file done, the Latin-1 one included.
      expect((await run()).summary.total).toBe(0);
    });
  });

  /** The sshd session processes left once the client closed (they exit a moment after). */
  async function waitForNoSessions(): Promise<number[]> {
    let pids = await sshd.sessionPids();
    for (let tries = 0; tries < 50 && pids.length > 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      pids = await sshd.sessionPids();
    }
    return pids;
  }

  async function sshdKill(): Promise<void> {
    // The session may not be forked yet when the first bytes arrive on another connection.
    for (let tries = 0; tries < 20; tries += 1) {
      if ((await sshd.killSessions()) > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});
