import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type LedgerRecord, type OctoConfigInput } from '@octo/core';
import { plainProvider, sha256, tarOf, CommitIntents, ObjectStoreLedger, Recovery, RUNS_PREFIX, S3ObjectStore, WHOLE_PUT_MAX_BYTES, WHOLE_PUT_REF, type CommitIntent, type S3ObjectStoreOptions } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startMotoS3, TEST_AWS_ENV, testS3Client, type MotoS3Server } from './moto-s3-server.js';
import { createBucket, listKeys, openUploads, readObject } from './s3-inspect.js';

/** A call that makes an output visible: CompleteMultipartUpload (POST ?uploadId=) or the PutObject of an output written whole. */
function isCommitCall({ method, url }: { method: string; url: string }): boolean {
  return (method === 'POST' && /[?&]uploadId=/.test(url)) || (method === 'PUT' && /\/data\//.test(url) && !/[?&](partNumber|tagging)=?/.test(url));
}

/** A pid that ran and exited: what a killed run leaves in its registration. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('crash recovery on S3', () => {
  let moto: MotoS3Server;
  let proxy: FaultProxy;
  let reader: S3Client;
  let work: string;
  let buckets = 0;
  const stores: S3ObjectStore[] = [];

  async function store(options: Partial<S3ObjectStoreOptions> = {}): Promise<{ store: S3ObjectStore; bucket: string; ledger: ObjectStoreLedger }> {
    buckets += 1;
    const bucket = `octo-recovery-${buckets}`;
    await createBucket(reader, bucket);
    // Every output a multipart upload (none held for a whole put): these tests are about open uploads.
    const created = new S3ObjectStore({ location: { bucket, prefix: 'landing/' }, client: testS3Client(moto.endpoint), partSizeBytes: 5 * 1024 * 1024, wholePutMaxBytes: 0, ...options });
    stores.push(created);
    return { store: created, bucket, ledger: new ObjectStoreLedger(created) };
  }

  /** Registers a run as a killed process would have left it. */
  async function registerRun(s: S3ObjectStore, runId: string, pid: number): Promise<void> {
    await s.putSmall(`${RUNS_PREFIX}p/${runId}.json`, JSON.stringify({ provider: 'p', runId, host: hostname(), pid }));
  }

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    moto = await startMotoS3();
    proxy = await startFaultProxy(moto.endpoint, { seed: 3 });
    reader = moto.client();
    work = await mkdtemp(path.join(tmpdir(), 'octo-s3-recovery-'));
  });

  afterAll(async () => {
    for (const created of stores) created.client.destroy();
    reader?.destroy();
    await proxy?.stop();
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('when a run died during the commit of a file', () => {
    it('should complete the uploads still open (ListParts, then CompleteMultipartUpload), record the file and drop the intent', async () => {
      const { store: s, bucket, ledger } = await store();
      const runId = 'run-killed-mid-commit';
      await registerRun(s, runId, deadPid());
      const bodies = Array.from({ length: 5 }, (_, index) => `member ${index}\n`.repeat(index + 1));
      const staging = s.begin({ runId });
      for (const [index, body] of bodies.entries()) {
        await staging.put(`data/other/p/m${index}.txt`, Readable.from([Buffer.from(body)]), { 'octo-job-id': runId });
      }
      const intent: CommitIntent = {
        version: 1,
        provider: 'p',
        jobId: runId,
        host: hostname(),
        pid: 1,
        writtenAt: new Date().toISOString(),
        source: { path: 'in/bundle.tar', size: 4096, mtimeMs: 1_700_000_000_000, sha256: 'cd'.repeat(32) },
        outputs: staging.refs(),
      };
      await new CommitIntents(s).write(intent);
      // Two of five completed before the kill.
      const { staging: partial } = await s.resume(intent.outputs.slice(0, 2), { runId });
      await partial.commit();
      expect(await listKeys(reader, bucket, 'landing/data/')).toHaveLength(2);
      expect(await openUploads(reader, bucket)).toHaveLength(3);

      const actions = await new Recovery({ provider: 'p', store: s, ledger, tempDir: path.join(work, 'tmp-1') }).run('run-next');

      expect(actions.map((action) => `${action.action} ${action.target}`)).toEqual(['rolled-forward in/bundle.tar']);
      expect(await listKeys(reader, bucket, 'landing/data/')).toEqual(bodies.map((_, index) => `landing/data/other/p/m${index}.txt`));
      for (const [index, body] of bodies.entries()) {
        expect((await readObject(reader, bucket, `landing/data/other/p/m${index}.txt`)).toString()).toBe(body);
      }
      const records: LedgerRecord[] = [];
      for await (const record of ledger.records('p')) records.push(record);
      expect(records.map((record) => [record.path, record.jobId, record.outputs.map((output) => output.sha256)])).toEqual([
        ['in/bundle.tar', runId, bodies.map((body) => sha256(body))],
      ]);
      expect(await openUploads(reader, bucket)).toEqual([]);
      expect(await listKeys(reader, bucket, 'landing/_octo/intents/')).toEqual([]);
      expect(await listKeys(reader, bucket, 'landing/_octo/runs/')).toEqual([]);
      expect(await listKeys(reader, bucket, 'landing/_octo/staging/')).toEqual([]);
    });

    it('should roll back when an upload is gone: delete what became visible, record nothing', async () => {
      const { store: s, bucket, ledger } = await store();
      const runId = 'run-killed-upload-gone';
      await registerRun(s, runId, deadPid());
      const staging = s.begin({ runId });
      for (const index of [0, 1, 2]) await staging.put(`data/other/p/m${index}.txt`, Readable.from([Buffer.from(`m${index}`)]), { 'octo-job-id': runId });
      const outputs = staging.refs();
      await new CommitIntents(s).write({
        version: 1,
        provider: 'p',
        jobId: runId,
        host: hostname(),
        pid: 1,
        writtenAt: new Date().toISOString(),
        source: { path: 'in/b.tar', size: 10, mtimeMs: 1, sha256: 'ef'.repeat(32) },
        outputs,
      });
      const { staging: partial } = await s.resume(outputs.slice(0, 1), { runId });
      await partial.commit();
      // An upload aborted by someone (a lifecycle rule): forward is impossible.
      const { staging: gone } = await s.resume(outputs.slice(2), { runId });
      await gone.abort();

      const actions = await new Recovery({ provider: 'p', store: s, ledger, tempDir: path.join(work, 'tmp-2') }).run('run-next');

      expect(actions.map((action) => action.action)).toEqual(['rolled-back']);
      expect(actions[0]!.detail).toContain('1 of 3 output(s) were no longer staged (data/other/p/m2.txt)');
      expect(await listKeys(reader, bucket)).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);
    });
  });

  describe('when a run died while its outputs were held for a whole put', () => {
    const intentOf = (runId: string, sourcePath: string, outputs: CommitIntent['outputs']): CommitIntent => ({
      version: 1,
      provider: 'p',
      jobId: runId,
      host: hostname(),
      pid: 1,
      writtenAt: new Date().toISOString(),
      source: { path: sourcePath, size: 64, mtimeMs: 1_700_000_000_000, sha256: 'ab'.repeat(32) },
      outputs,
    });

    it('should roll the file forward when its outputs landed (HeadObject), and roll it back when they never left the process', async () => {
      const { store: s, bucket, ledger } = await store({ wholePutMaxBytes: WHOLE_PUT_MAX_BYTES });
      const landedRun = 'run-killed-after-commit';
      const heldRun = 'run-killed-before-commit';
      await registerRun(s, landedRun, deadPid());
      await registerRun(s, heldRun, deadPid());

      const landed = s.begin({ runId: landedRun });
      for (const name of ['w0.txt', 'w1.txt']) await landed.put(`data/other/p/${name}`, Readable.from([Buffer.from(`whole ${name}\n`)]), { 'octo-job-id': landedRun });
      const landedIntent = intentOf(landedRun, 'in/landed.tar', landed.refs());
      expect(landedIntent.outputs.map((output) => output.ref)).toEqual([WHOLE_PUT_REF, WHOLE_PUT_REF]);
      await new CommitIntents(s).write(landedIntent);
      await landed.commit();

      const held = s.begin({ runId: heldRun });
      await held.put('data/other/p/h0.txt', Readable.from([Buffer.from('held\n')]), { 'octo-job-id': heldRun });
      await new CommitIntents(s).write(intentOf(heldRun, 'in/held.tar', held.refs()));
      // Neither staging left a journal entry or an open upload: a whole put sends nothing before commit.
      expect(await listKeys(reader, bucket, 'landing/_octo/staging/')).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);

      const actions = await new Recovery({ provider: 'p', store: s, ledger, tempDir: path.join(work, 'tmp-whole') }).run('run-next');

      expect(actions.map((action) => `${action.action} ${action.target}`).sort()).toEqual(['rolled-back in/held.tar', 'rolled-forward in/landed.tar']);
      expect(actions.find((action) => action.target === 'in/held.tar')!.detail).toContain('1 of 1 output(s) were no longer staged (data/other/p/h0.txt)');
      expect(await listKeys(reader, bucket, 'landing/data/')).toEqual(['landing/data/other/p/w0.txt', 'landing/data/other/p/w1.txt']);
      expect((await readObject(reader, bucket, 'landing/data/other/p/w1.txt')).toString()).toBe('whole w1.txt\n');
      const records: LedgerRecord[] = [];
      for await (const record of ledger.records('p')) records.push(record);
      expect(records.map((record) => [record.path, record.jobId, record.outputs.map((output) => output.key)])).toEqual([
        ['in/landed.tar', landedRun, ['data/other/p/w0.txt', 'data/other/p/w1.txt']],
      ]);
      expect(await listKeys(reader, bucket, 'landing/_octo/intents/')).toEqual([]);
    });
  });

  describe('when dead runs left open uploads that no intent names', () => {
    it("should abort them, and leave someone else's upload and a live run's upload open", async () => {
      const { store: s, bucket, ledger } = await store();
      const foreign = await reader.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'landing/data/csv/p/someone-elses.csv' }));
      const outside = await reader.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'elsewhere/other.csv' }));
      await registerRun(s, 'run-dead', deadPid());
      for (const index of [0, 1]) await s.begin({ runId: 'run-dead' }).put(`data/csv/p/dead-${index}.csv`, Readable.from([Buffer.from('x')]));
      // A run alive right now (this process), e.g. another machine's job of a second provider on the bucket.
      await s.putSmall(`${RUNS_PREFIX}q/run-live.json`, JSON.stringify({ provider: 'q', runId: 'run-live', host: hostname(), pid: process.pid }));
      await s.begin({ runId: 'run-live' }).put('data/csv/q/live.csv', Readable.from([Buffer.from('y')]));
      expect(await openUploads(reader, bucket)).toHaveLength(5);

      const actions = await new Recovery({ provider: 'p', store: s, ledger, tempDir: path.join(work, 'tmp-3') }).run('run-next');

      expect(actions.map((action) => `${action.action} ${action.target}`).sort()).toEqual(['aborted-upload data/csv/p/dead-0.csv', 'aborted-upload data/csv/p/dead-1.csv']);
      const left = (await openUploads(reader, bucket)).map((upload) => upload.key).sort();
      expect(left).toEqual(['elsewhere/other.csv', 'landing/data/csv/p/someone-elses.csv', 'landing/data/csv/q/live.csv']);
      expect((await openUploads(reader, bucket)).map((upload) => upload.uploadId)).toEqual(expect.arrayContaining([foreign.UploadId, outside.UploadId]));
      expect(await listKeys(reader, bucket, 'landing/_octo/runs/')).toEqual(['landing/_octo/runs/q/run-live.json']);
      // The dead run's journal is gone with its uploads; the live run's stays.
      expect(await listKeys(reader, bucket, 'landing/_octo/staging/')).toEqual(['landing/_octo/staging/run-live/data/csv/q/live.csv']);
    });
  });

  describe('when 30% of the commit calls fail', () => {
    it('should land a 300-member tar whole with its record, or leave nothing of it, and no intent or open upload either way', async () => {
      const { bucket } = await store();
      const drop = path.join(work, 'drop');
      await mkdir(drop, { recursive: true });
      const members = Array.from({ length: 300 }, (_, index) => [`m${String(index).padStart(3, '0')}.csv`, `row,${index}\n`] as [string, string]);
      await writeFile(path.join(drop, 'day.tar'), await tarOf(members));
      const config: OctoConfigInput = {
        store: { url: 's3://', endpoint: proxy.endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 },
        workDir: path.join(work, 'work'),
        providers: { plain: { plugin: 'plain', bucket, source: `file://${drop}` } },
      };
      const configPath = await writeOctoConfig(work, config);
      // Small members are written whole at commit (one PutObject each); only those fail.
      proxy.setFaults({ rate: 0.3, mode: '500', match: isCommitCall });
      try {
        const runtime = await createOctoRuntime({ configPath, plugins: [plainProvider] });
        const summary = await (await runtime.jobs.start('plain')).done;
        const data = await listKeys(reader, bucket, 'data/');
        const ledgerKeys = await listKeys(reader, bucket, '_octo/ledger/');
        if (summary.succeeded === 1) {
          expect(data).toHaveLength(300);
          expect(ledgerKeys).toHaveLength(1);
          expect((await readObject(reader, bucket, 'data/csv/plain/day/m123.csv')).toString()).toBe('row,123\n');
        } else {
          expect(summary.files[0]).toMatchObject({ status: 'failed', kind: 'store' });
          expect(data).toEqual([]);
          expect(ledgerKeys).toEqual([]);
        }
        expect(proxy.requests.filter((request) => request.outcome === '500').length).toBeGreaterThan(0);
        expect(await listKeys(reader, bucket, '_octo/intents/')).toEqual([]);
        expect(await openUploads(reader, bucket)).toEqual([]);
      } finally {
        proxy.setFaults(undefined);
      }
    });

    it('should roll back what became visible when every retry of the commit fails', async () => {
      const { bucket } = await store();
      const drop = path.join(work, 'drop-2');
      await mkdir(drop, { recursive: true });
      const members = Array.from({ length: 40 }, (_, index) => [`m${index}.csv`, `row,${index}\n`] as [string, string]);
      await writeFile(path.join(drop, 'day.tar'), await tarOf(members));
      const configPath = await writeOctoConfig(work, {
        store: { url: 's3://', endpoint: proxy.endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 },
        workDir: path.join(work, 'work-2'),
        providers: { plain: { plugin: 'plain', bucket, source: `file://${drop}` } },
      }, 'octo-2.yaml');
      // m7's completion always fails: 39 others complete first, then the file must not stay half-visible.
      proxy.setFaults({ rate: 1, mode: '500', match: (request) => isCommitCall(request) && request.url.includes('/m7.csv') });
      try {
        const runtime = await createOctoRuntime({ configPath, plugins: [plainProvider] });
        const summary = await (await runtime.jobs.start('plain')).done;
        expect(summary.files[0]).toMatchObject({ status: 'failed', kind: 'store' });
        expect(summary.files[0]?.status === 'failed' && summary.files[0].reason).toContain('day.tar: the commit could not finish and was rolled back');
        // Nothing of the file is visible, and a store that fails is not the file's fault: no failure is counted against it.
        expect(await listKeys(reader, bucket)).toEqual([]);
        expect(await openUploads(reader, bucket)).toEqual([]);
      } finally {
        proxy.setFaults(undefined);
      }
    });
  });
});
