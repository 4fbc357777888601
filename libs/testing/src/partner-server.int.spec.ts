import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { createOctoRuntime, OPENLINEAGE_SCHEMA_URL, type JobSummary, type OctoConfigInput } from '@octo/core';
import { FakeClock, plainProvider, startWebhookReceiver } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { startMotoS3, TEST_AWS_ENV, type MotoS3Server } from './moto-s3-server.js';
import { createBucket, listKeys, readText } from './s3-inspect.js';
import { startSshd, type SshdServer } from './sshd-server.js';

/** Every file under `dir`, relative, sorted: the partner's server as its owner sees it. */
async function remoteListing(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name))).sort();
}

// What Octo does on the partner's OpenSSH server (archive, delete, ready markers), what it tells
// (late alerts judged from the ledger in moto's S3, OpenLineage events), all on loopback.
describe('the partner\'s server: post-ingest actions, ready markers, arrival, lineage', () => {
  let sshd: SshdServer;
  let noRename: SshdServer;
  let moto: MotoS3Server;
  let reader: S3Client;
  let work: string;
  let counter = 0;

  async function scenario(provider: Record<string, unknown>, options: { server?: SshdServer; top?: Partial<OctoConfigInput>; clock?: FakeClock } = {}) {
    const server = options.server ?? sshd;
    counter += 1;
    const drop = path.join(server.dropDir, `case-${counter}`);
    await mkdir(drop, { recursive: true });
    const bucket = `octo-partner-${counter}`;
    await createBucket(reader, bucket);
    const dir = path.join(work, `case-${counter}`);
    await mkdir(dir, { recursive: true });
    const configPath = await writeOctoConfig(dir, {
      store: { url: 's3://', endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 2 },
      workDir: path.join(dir, 'work'),
      ...options.top,
      providers: {
        plain: {
          plugin: 'plain',
          bucket,
          source: { url: `sftp://${server.user}@127.0.0.1:${server.port}${drop}`, hostKey: server.hostKeyFingerprint, privateKey: `file:${server.userKeyFile}`, connectTimeoutMs: 10_000 },
          decryption: { signature: 'ignore' },
          ...provider,
        } as OctoConfigInput['providers'][string],
      },
    });
    const runtime = await createOctoRuntime({ configPath, plugins: [plainProvider], ...(options.clock ? { clock: options.clock } : {}) });
    const run = async (): Promise<JobSummary> => {
      const job = await runtime.jobs.start('plain');
      const summary = await job.done;
      await runtime.notifier.settled();
      return summary;
    };
    const dataKeys = async () => (await listKeys(reader, bucket)).filter((key) => !key.startsWith('_octo/'));
    return { drop, bucket, run, runtime, dataKeys };
  }

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    // The second server refuses every rename, as a partner's read-only archive does.
    [sshd, noRename, moto] = await Promise.all([startSshd(), startSshd({ extraConfig: ['ForceCommand internal-sftp -P rename,posix-rename'] }), startMotoS3()]);
    reader = moto.client();
    work = await mkdtemp(path.join(os.tmpdir(), 'octo-partner-'));
  });

  afterAll(async () => {
    reader?.destroy();
    await Promise.all([sshd?.stop(), noRename?.stop(), moto?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('afterIngest: move', () => {
    it('should move each ingested file and its .sig into the archive after its ledger record, a taken name getting a time suffix, and leave a failed file in place', async () => {
      const { drop, run, dataKeys, bucket } = await scenario({ afterIngest: { action: 'move', to: 'archive' } });
      await mkdir(path.join(drop, 'in'), { recursive: true });
      await writeFile(path.join(drop, 'in', 'a.csv'), 'id\n1\n');
      await writeFile(path.join(drop, 'in', 'a.csv.sig'), 'not checked (signature: ignore)');
      await writeFile(path.join(drop, 'b.csv'), 'id\n2\n');
      await writeFile(path.join(drop, 'broken.csv.gz'), 'not gzip');
      // An earlier delivery of b.csv is in the archive already: OpenSSH would refuse to rename over it.
      await mkdir(path.join(drop, 'archive'), { recursive: true });
      await writeFile(path.join(drop, 'archive', 'b.csv'), 'archived last week\n');

      const summary = await run();
      expect(summary).toMatchObject({ status: 'partial', total: 3, succeeded: 2, failed: 1 });
      const byPath = Object.fromEntries(summary.files.map((file) => [file.path, file.status === 'done' ? file.afterIngest : file.status]));
      expect(byPath['in/a.csv']).toEqual({ action: 'move', status: 'done', to: 'archive/in/a.csv' });
      expect(byPath['b.csv']).toEqual({ action: 'move', status: 'done', to: expect.stringMatching(/^archive\/b-\d{8}T\d{6}Z\.csv$/) });
      expect(byPath['broken.csv.gz']).toBe('failed');
      const suffixed = (byPath['b.csv'] as { to: string }).to;
      expect(await remoteListing(drop)).toEqual(['archive/b.csv', suffixed, 'archive/in/a.csv', 'archive/in/a.csv.sig', 'broken.csv.gz'].sort());
      expect(await dataKeys()).toEqual(['data/csv/plain/a.csv', 'data/csv/plain/b.csv']);
      expect(await readText(reader, bucket, 'data/csv/plain/b.csv')).toBe('id\n2\n');

      // The archive inside the drop is never taken again.
      const again = await run();
      expect(again).toMatchObject({ total: 1, failed: 1 });
      expect(again.files.map((file) => file.path)).toEqual(['broken.csv.gz']);
    });

    it('with onCollision: fail, should ingest the file, leave it in place, say why, and not ingest it again', async () => {
      const { drop, run, dataKeys } = await scenario({ afterIngest: { action: 'move', to: 'done', onCollision: 'fail' } });
      await mkdir(path.join(drop, 'done'), { recursive: true });
      await writeFile(path.join(drop, 'done', 'c.csv'), 'older\n');
      await writeFile(path.join(drop, 'c.csv'), 'id\n3\n');
      const summary = await run();
      expect(summary.status).toBe('succeeded');
      expect(summary.files[0]).toMatchObject({
        path: 'c.csv',
        status: 'done',
        afterIngest: { action: 'move', status: 'failed', reason: 'c.csv was ingested but not moved: done/c.csv already exists (onCollision: fail); it stays in place and is not ingested again' },
      });
      expect(await remoteListing(drop)).toEqual(['c.csv', 'done/c.csv']);
      expect(await dataKeys()).toEqual(['data/csv/plain/c.csv']);
      expect((await run()).total).toBe(0);
    });

    it('when the server refuses the rename, should still ingest the file, report the failure in its result, and not ingest it again', async () => {
      const { drop, run, dataKeys } = await scenario({ afterIngest: { action: 'move', to: 'archive' } }, { server: noRename });
      await writeFile(path.join(drop, 'd.csv'), 'id\n4\n');
      const summary = await run();
      expect(summary.status).toBe('succeeded');
      const [file] = summary.files;
      expect(file?.status === 'done' && file.afterIngest).toEqual({
        action: 'move',
        status: 'failed',
        reason: `d.csv was ingested but not moved: cannot move d.csv to archive/d.csv in sftp://${noRename.user}@127.0.0.1:${noRename.port}${drop}: permission denied for user ${noRename.user}; it stays in place and is not ingested again`,
      });
      expect(await dataKeys()).toEqual(['data/csv/plain/d.csv']);
      expect(await remoteListing(drop)).toEqual(['d.csv']);
      expect((await run()).total).toBe(0);
    });
  });

  describe('afterIngest: delete', () => {
    it('should delete each ingested file and its .sig from the server, and leave a failed one', async () => {
      const { drop, run, dataKeys } = await scenario({ afterIngest: { action: 'delete' } });
      await writeFile(path.join(drop, 'e.csv'), 'id\n5\n');
      await writeFile(path.join(drop, 'e.csv.sig'), 'sig');
      await writeFile(path.join(drop, 'bad.csv.gz'), 'not gzip');
      const summary = await run();
      expect(summary).toMatchObject({ succeeded: 1, failed: 1 });
      expect(summary.files.find((file) => file.path === 'e.csv')).toMatchObject({ afterIngest: { action: 'delete', status: 'done' } });
      expect(await remoteListing(drop)).toEqual(['bad.csv.gz']);
      expect(await dataKeys()).toEqual(['data/csv/plain/e.csv']);
    });
  });

  describe('ready markers', () => {
    it('should hold a file until its marker appears, say what it waits for, never land the marker, and archive it with the file', async () => {
      const { drop, run, dataKeys } = await scenario({ ready: { marker: '{name}.done' }, afterIngest: { action: 'move', to: 'archive' } });
      await writeFile(path.join(drop, 'f.csv'), 'id\n6\n');
      const first = await run();
      expect(first).toMatchObject({ status: 'succeeded', total: 0, waiting: [{ path: 'f.csv', for: 'f.csv.done' }] });
      expect(await dataKeys()).toEqual([]);
      await writeFile(path.join(drop, 'f.csv.done'), '');
      const second = await run();
      expect(second).toMatchObject({ total: 1, succeeded: 1 });
      expect(second.waiting).toBeUndefined();
      expect(await dataKeys()).toEqual(['data/csv/plain/f.csv']);
      expect(await remoteListing(drop)).toEqual(['archive/f.csv', 'archive/f.csv.done']);
    });

    it('should release a folder only when its batch trigger is there', async () => {
      const { drop, run, dataKeys } = await scenario({ ready: { batch: 'READY' } });
      await mkdir(path.join(drop, 'day1'), { recursive: true });
      await writeFile(path.join(drop, 'day1', 'g.csv'), 'id\n7\n');
      await writeFile(path.join(drop, 'day1', 'h.csv'), 'id\n8\n');
      expect((await run()).waiting).toEqual([
        { path: 'day1/g.csv', for: 'day1/READY' },
        { path: 'day1/h.csv', for: 'day1/READY' },
      ]);
      await writeFile(path.join(drop, 'day1', 'READY'), '');
      expect(await run()).toMatchObject({ total: 2, succeeded: 2 });
      expect(await dataKeys()).toEqual(['data/csv/plain/g.csv', 'data/csv/plain/h.csv']);
      // Ingested files whose trigger went away wait for nothing.
      await rm(path.join(drop, 'day1', 'READY'));
      const after = await run();
      expect(after.total).toBe(0);
      expect(after.waiting).toBeUndefined();
    });
  });

  describe('a manifest', () => {
    it('should take the files a folder\'s manifest lists at their size, read over SFTP, and hold a file still growing', async () => {
      const { drop, run, dataKeys } = await scenario({ ready: { manifest: 'MANIFEST' } });
      await writeFile(path.join(drop, 'l.csv'), 'id\n12\n');
      await writeFile(path.join(drop, 'm.csv'), 'id\n1');
      await writeFile(path.join(drop, 'MANIFEST'), 'l.csv 6\nm.csv 6\n');
      const first = await run();
      expect(first).toMatchObject({ total: 1, succeeded: 1, waiting: [{ path: 'm.csv', for: 'MANIFEST', reason: 'the manifest lists m.csv at 6 bytes, the server has 4 (still being written?)' }] });
      expect(await dataKeys()).toEqual(['data/csv/plain/l.csv']);
      await writeFile(path.join(drop, 'm.csv'), 'id\n13\n');
      expect(await run()).toMatchObject({ total: 1, succeeded: 1 });
      expect(await dataKeys()).toEqual(['data/csv/plain/l.csv', 'data/csv/plain/m.csv']);
    });
  });

  describe('arrival expectations, judged from the ledger in S3', () => {
    it('should not alert when a file arrived, then alert once when a later deadline passes with nothing new', async () => {
      const receiver = await startWebhookReceiver();
      try {
        // The ledger's times are real ones: the fake clock runs two minutes ahead of them.
        const clock = new FakeClock(Date.now() + 120_000);
        const { drop, run, runtime, bucket } = await scenario({ expect: { cron: '0 6 * * *' } }, { clock, top: { notify: { webhooks: [{ url: receiver.url, on: ['late'] }] } } });
        await writeFile(path.join(drop, 'i.csv'), 'id\n9\n');
        expect((await run()).succeeded).toBe(1);
        expect(await runtime.arrivals.check('plain')).toMatchObject({ late: false, since: null });
        expect(await run()).toMatchObject({ total: 0 });
        expect(receiver.received).toHaveLength(0);

        // Two days on, the window of the latest 06:00 opened after the only file.
        const later = new Date(Date.now() + 2 * 86_400_000);
        later.setUTCHours(7, 0, 0, 0);
        clock.advanceTo(later.toISOString());
        const deadline = new Date(later);
        deadline.setUTCHours(6, 0, 0, 0);
        await run();
        expect(receiver.received).toHaveLength(1);
        expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({ event: 'provider.late', provider: 'plain', late: { since: deadline.toISOString(), expectation: 'at each match of "0 6 * * *" (UTC)' } });
        await run();
        expect(receiver.received).toHaveLength(1);
        expect(await listKeys(reader, bucket, '_octo/arrival/')).toEqual([`_octo/arrival/plain/late-${deadline.toISOString()}.json`]);
      } finally {
        await receiver.stop();
      }
    });
  });

  describe('OpenLineage', () => {
    it('should POST START and COMPLETE run events with the sftp:// input and s3:// outputs, and never fail the job when the endpoint is down', async () => {
      const received: Array<{ headers: IncomingMessage['headers']; body: Record<string, unknown> }> = [];
      const server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
          response.writeHead(201).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/lineage`;
      try {
        process.env['OCTO_TEST_LINEAGE_KEY'] = 'lineage-key-123';
        const { drop, run, bucket, runtime } = await scenario({}, { top: { lineage: { url, apiKey: 'env:OCTO_TEST_LINEAGE_KEY' } } });
        await writeFile(path.join(drop, 'j.csv'), 'id\n10\n');
        // A dry run is not lineage.
        await (await runtime.jobs.start('plain', { dryRun: true })).done;
        await runtime.notifier.settled();
        expect(received).toHaveLength(0);
        const summary = await run();
        expect(summary.status).toBe('succeeded');
        expect(received.map((event) => event.body['eventType'])).toEqual(['START', 'COMPLETE']);
        for (const { headers, body } of received) {
          expect(headers['authorization']).toBe('Bearer lineage-key-123');
          // The RunEvent's required fields (OpenLineage 2-0-2): eventTime, producer, schemaURL, run.runId (a UUID), job.namespace, job.name.
          expect(body).toMatchObject({ producer: expect.stringMatching(/^https:\/\//), schemaURL: OPENLINEAGE_SCHEMA_URL, run: { runId: summary.jobId }, job: { namespace: 'octo', name: 'plain' } });
          expect(Number.isNaN(Date.parse(body['eventTime'] as string))).toBe(false);
          expect(summary.jobId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        }
        expect(received[1]!.body).toMatchObject({
          inputs: [{ namespace: `sftp://127.0.0.1:${sshd.port}`, name: `${drop}/j.csv` }],
          outputs: [{ namespace: `s3://${bucket}`, name: 'data/csv/plain/j.csv' }],
        });

        server.close();
        await new Promise((resolve) => server.once('close', resolve));
        const down = await scenario({}, { top: { lineage: { url, timeoutMs: 2000 } } });
        await writeFile(path.join(down.drop, 'k.csv'), 'id\n11\n');
        expect(await down.run()).toMatchObject({ status: 'succeeded', succeeded: 1 });
        expect(await down.dataKeys()).toEqual(['data/csv/plain/k.csv']);
      } finally {
        server.close();
      }
    });
  });
});
