import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type JobSummary, type LedgerRecord, type OctoConfigInput } from '@octo/core';
import { listFiles, plainProvider, sha256, tarOf, completionMarkerKey, KeyOwnership, multipartETag, unownedObjectError, ObjectStoreLedger, S3ObjectStore } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { keystreamBytes } from './keystream-file.js';
import { startMotoS3, TEST_AWS_ENV, testS3Client, type MotoS3Server } from './moto-s3-server.js';
import { runOctoCli } from './octo-cli.js';
import { createBucket, listKeys, openUploads, readObject, readText } from './s3-inspect.js';

const conflictReason = (loser: string, key: string, owner: string) =>
  `${loser}: its output ${key} already belongs to ${owner}, another source file; nothing of this file was landed: rename one of them at the source, change the folder rule, or set conflicts: keep-both on the provider to land both`;

describe('key ownership on S3 (moto)', () => {
  let moto: MotoS3Server;
  let reader: S3Client;
  let work: string;
  let counter = 0;

  beforeAll(async () => {
    moto = await startMotoS3();
    reader = moto.client();
    // The in-process runtimes find moto's test credentials through the SDK's default chain.
    Object.assign(process.env, TEST_AWS_ENV);
    work = await mkdtemp(path.join(os.tmpdir(), 'octo-ownership-'));
  });

  afterAll(async () => {
    reader?.destroy();
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  function s3Store(): OctoConfigInput['store'] {
    return { url: 's3://', endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1', partSizeMiB: 5, queueSize: 2, maxAttempts: 3 };
  }

  /** A local drop landing in a fresh moto bucket through the plain provider. */
  async function scenario(providerConfig: Record<string, unknown> = {}) {
    counter += 1;
    const dir = path.join(work, `case-${counter}`);
    const drop = path.join(dir, 'drop');
    await mkdir(drop, { recursive: true });
    const bucket = `octo-own-${counter}`;
    await createBucket(reader, bucket);
    const configPath = await writeOctoConfig(dir, {
      store: s3Store(),
      workDir: path.join(dir, 'work'),
      concurrency: 2,
      providers: { plain: { plugin: 'plain', bucket, source: `file://${drop}`, ...providerConfig } },
    });
    const put = async (name: string, body: Buffer | string, mtime?: Date) => {
      const file = path.join(drop, name);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, body);
      if (mtime) await utimes(file, mtime, mtime);
    };
    const sync = async (options: { concurrency?: number; dryRun?: boolean } = {}): Promise<JobSummary> => {
      const runtime = await createOctoRuntime({ configPath, plugins: [plainProvider] });
      return (await runtime.jobs.start('plain', options)).done;
    };
    const ledger = async (): Promise<LedgerRecord[]> =>
      Promise.all((await listKeys(reader, bucket, '_octo/ledger/')).map(async (key) => JSON.parse(await readText(reader, bucket, key)) as LedgerRecord));
    const dataKeys = async () => (await listKeys(reader, bucket)).filter((key) => !key.startsWith('_octo/'));
    return { bucket, put, sync, ledger, dataKeys };
  }

  it('should let exactly one of many racing conditional creates win, and keep its bytes', async () => {
    counter += 1;
    const bucket = `octo-own-${counter}`;
    await createBucket(reader, bucket);
    // Two stores with their own clients over one bucket: two writers that share nothing but S3.
    const stores = [0, 1].map(() => new S3ObjectStore({ location: { bucket, prefix: '' }, client: testS3Client(moto.endpoint) }));
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 2]!.putSmallIfAbsent('_octo/owners/p/k/00000001.json', `writer ${i}`)));
      const winners = results.flatMap((created, i) => (created ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(await readText(reader, bucket, '_octo/owners/p/k/00000001.json')).toBe(`writer ${winners[0]}`);
      await stores[0]!.delete('_octo/owners/p/k/00000001.json');
      expect(await listKeys(reader, bucket)).toEqual([]);
    } finally {
      for (const store of stores) store.client.destroy();
    }
  });

  it('should commit an if-absent put once, refuse a second over it, and know its own object by its multipart ETag', async () => {
    counter += 1;
    const bucket = `octo-own-${counter}`;
    await createBucket(reader, bucket);
    const store = new S3ObjectStore({ location: { bucket, prefix: 'p/' }, client: testS3Client(moto.endpoint), partSizeBytes: 5 * 1024 * 1024 });
    try {
      const data = keystreamBytes(11 * 1024 * 1024, 'three-parts');
      const first = store.begin();
      await first.put('data/x.bin', Readable.from([data]), {}, { ifAbsent: true });
      await first.commit();
      const head = await reader.send(new HeadObjectCommand({ Bucket: bucket, Key: 'p/data/x.bin' }));
      expect(head.ETag).toMatch(/-3"$/);
      // What a retried completion compares with: the parts' ETags as UploadPart returned them.
      const parts = [0, 1, 2].map((i) => ({ PartNumber: i + 1, ETag: `"${createHash('md5').update(data.subarray(i * 5 * 1024 * 1024, (i + 1) * 5 * 1024 * 1024)).digest('hex')}"` }));
      expect(multipartETag(parts)).toBe(head.ETag);

      const second = store.begin();
      await second.put('data/x.bin', Readable.from([Buffer.from('other bytes')]), {}, { ifAbsent: true });
      await expect(second.commit()).rejects.toThrow(unownedObjectError('data/x.bin').message);
      expect(sha256(await readObject(reader, bucket, 'p/data/x.bin'))).toBe(sha256(data));
      expect(await openUploads(reader, bucket)).toEqual([]);
    } finally {
      store.client.destroy();
    }
  });

  it('when two sources in one job map to one key, should land one and fail the other naming both', async () => {
    const s = await scenario();
    await s.put('a/report.csv.gz', gzipSync('from a\n'));
    await s.put('b/report.csv.gz', gzipSync('from b\n'));

    const summary = await s.sync({ concurrency: 2 });

    expect([summary.succeeded, summary.failed]).toEqual([1, 1]);
    const winner = summary.files.find((f) => f.status === 'done')!.path;
    const loser = summary.files.find((f) => f.status === 'failed')!;
    expect(loser.status === 'failed' && [loser.kind, loser.reason]).toEqual(['route', conflictReason(loser.path, 'data/csv/plain/report.csv', winner)]);
    expect(await s.dataKeys()).toEqual(['data/csv/plain/report.csv']);
    expect((await readObject(reader, s.bucket, 'data/csv/plain/report.csv')).toString()).toBe(`from ${winner[0]}\n`);
    expect((await s.ledger()).map((r) => r.path)).toEqual([winner]);
    const claims = await listKeys(reader, s.bucket, '_octo/owners/');
    expect(claims).toEqual([`${KeyOwnership.claimPrefix('plain', 'data/csv/plain/report.csv')}00000001.json`]);
    expect(JSON.parse(await readText(reader, s.bucket, claims[0]!))).toMatchObject({ sourcePath: winner });
  });

  it('when two tars of one day both hold summary.pdf, should land the first only, whole', async () => {
    const s = await scenario();
    await s.put('bundle_20261104_1.tar', await tarOf([['summary.pdf', 'one'], ['first.csv', '1']]));
    await s.put('bundle_20261104_2.tar', await tarOf([['only-second.csv', '2'], ['summary.pdf', 'two']]));

    const summary = await s.sync({ concurrency: 1 });

    expect(summary.files.map((f) => [f.path, f.status])).toEqual([
      ['bundle_20261104_1.tar', 'done'],
      ['bundle_20261104_2.tar', 'failed'],
    ]);
    expect(await s.dataKeys()).toEqual(['data/csv/plain/first.csv', 'data/pdf/plain/summary.pdf']);
    expect((await readObject(reader, s.bucket, 'data/pdf/plain/summary.pdf')).toString()).toBe('one');
  });

  it('should tag every output with its source’s sha256 and write the completion marker last', async () => {
    const s = await scenario();
    const tar = await tarOf([['x.csv', 'one,two\n'], ['y.pdf', '%PDF-1.4 y']]);
    await s.put('in/bundle.tar', tar, new Date('2026-11-03T10:00:00Z'));

    const summary = await s.sync();

    for (const key of ['data/csv/plain/x.csv', 'data/pdf/plain/y.pdf']) {
      const tags = await reader.send(new GetObjectTaggingCommand({ Bucket: s.bucket, Key: key }));
      expect(tags.TagSet).toEqual([{ Key: 'octo-source-sha256', Value: sha256(tar) }]);
    }
    expect(JSON.parse(await readText(reader, s.bucket, completionMarkerKey('plain', 'in/bundle.tar')))).toEqual({
      version: 1,
      provider: 'plain',
      source: { path: 'in/bundle.tar', size: tar.length, mtimeMs: Date.parse('2026-11-03T10:00:00Z'), sha256: sha256(tar) },
      outputs: [
        { key: 'data/csv/plain/x.csv', size: 8, sha256: sha256('one,two\n') },
        { key: 'data/pdf/plain/y.pdf', size: 10, sha256: sha256('%PDF-1.4 y') },
      ],
      jobId: summary.jobId,
      completedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('with keep-both, should land a later source beside the owner under its suffix', async () => {
    const s = await scenario({ conflicts: 'keep-both' });
    await s.put('a/report.csv', 'from a\n');
    await s.sync();
    await s.put('b/report.csv', 'from b\n');

    const dry = await s.sync({ dryRun: true });
    const beside = `data/csv/plain/report~${sha256('b/report.csv').slice(0, 8)}.csv`;
    expect(dry.plan?.map((p) => [p.path, p.conflict])).toEqual([
      ['b/report.csv', { key: 'data/csv/plain/report.csv', owner: 'a/report.csv', where: 'bucket', outcome: 'keep-both', keptAs: beside }],
    ]);
    expect(await s.dataKeys()).toEqual(['data/csv/plain/report.csv']);

    const second = await s.sync();
    expect(second.files.map((f) => [f.path, f.status])).toEqual([['b/report.csv', 'done']]);
    expect(await s.dataKeys()).toEqual(['data/csv/plain/report.csv', beside].sort());
    expect((await readObject(reader, s.bucket, 'data/csv/plain/report.csv')).toString()).toBe('from a\n');
    expect((await readObject(reader, s.bucket, beside)).toString()).toBe('from b\n');
  });

  it('when a source path is delivered again, should replace its object, retag it and supersede its record', async () => {
    const s = await scenario();
    await s.put('in/report.csv', 'first\n', new Date('2026-11-01T00:00:00Z'));
    await s.sync();
    const [first] = await s.ledger();
    await s.put('in/report.csv', 'second, longer\n', new Date('2026-11-02T00:00:00Z'));

    const again = await s.sync();

    expect(again.files.map((f) => [f.path, f.status])).toEqual([['in/report.csv', 'done']]);
    expect((await readObject(reader, s.bucket, 'data/csv/plain/report.csv')).toString()).toBe('second, longer\n');
    const tags = await reader.send(new GetObjectTaggingCommand({ Bucket: s.bucket, Key: 'data/csv/plain/report.csv' }));
    expect(tags.TagSet).toEqual([{ Key: 'octo-source-sha256', Value: sha256('second, longer\n') }]);
    const latest = (await s.ledger()).find((r) => r.size === 15)!;
    expect(latest.supersedes).toEqual({ record: ObjectStoreLedger.keyFor('plain', first!), size: 6, mtimeMs: Date.parse('2026-11-01T00:00:00Z'), sha256: sha256('first\n'), jobId: first!.jobId });
  });

  it('when a key holds an object no source claimed, should fail the file and leave the object', async () => {
    const s = await scenario();
    await reader.send(new PutObjectCommand({ Bucket: s.bucket, Key: 'data/csv/plain/report.csv', Body: 'put there by another tool\n' }));
    await s.put('a/report.csv', 'a\n');

    const summary = await s.sync();

    const failed = summary.files[0]!;
    expect(failed.status === 'failed' && [failed.kind, failed.reason]).toEqual(['route', unownedObjectError('data/csv/plain/report.csv').message]);
    expect((await readObject(reader, s.bucket, 'data/csv/plain/report.csv')).toString()).toBe('put there by another tool\n');
    // Only the failed file's failure count (the quarantine) stays under _octo/.
    expect((await listKeys(reader, s.bucket, '_octo/')).filter((key) => !key.startsWith('_octo/quarantine/'))).toEqual([]);
    expect(await openUploads(reader, s.bucket)).toEqual([]);
  });

  it('octo sync --dry-run should print each conflict with both source paths and the outcome, and write nothing', async () => {
    counter += 1;
    const dir = path.join(work, `cli-dry-${counter}`);
    const drop = path.join(dir, 'drop');
    for (const side of ['a', 'b']) {
      await mkdir(path.join(drop, side), { recursive: true });
      await writeFile(path.join(drop, side, 'report_20261101.csv'), `${side}\n`);
    }
    const config = await writeOctoConfig(dir, {
      store: `file://${path.join(dir, 'buckets')}`,
      workDir: path.join(dir, 'work'),
      providers: { example: { bucket: 'dry-bucket', source: `file://${drop}`, conflicts: 'keep-both', settings: { seed: false } } },
    });

    const run = await runOctoCli(['sync', 'example', '--dry-run', '--config', config], { cwd: dir });

    expect(run.code).toBe(0);
    const beside = `data/csv/example/2026-11-01/report_20261101~${sha256('b/report_20261101.csv').slice(0, 8)}.csv`;
    expect(run.stdout).toContain('example: 1 key conflict(s) (dry run):');
    expect(run.stdout).toMatch(
      new RegExp(`\\nb/report_20261101\\.csv\\s+data/csv/example/2026-11-01/report_20261101\\.csv\\s+a/report_20261101\\.csv \\(in this drop\\)\\s+keep-both: lands at ${beside.replaceAll('.', '\\.')}\\n`),
    );
    expect(await listFiles(path.join(dir, 'buckets', 'dry-bucket'))).toEqual([]);
  });

  describe('when two octo processes of one provider run at once (each with its own lock)', () => {
    /** Two configs over one bucket: separate work folders (so separate locks) and separate drops. */
    async function twoProcesses(store: (dir: string) => OctoConfigInput['store'], bucket: string) {
      counter += 1;
      const dir = path.join(work, `procs-${counter}`);
      const files = 10;
      const configs: string[] = [];
      for (const side of ['a', 'b']) {
        const drop = path.join(dir, `drop-${side}`);
        for (let i = 0; i < files; i += 1) {
          await mkdir(path.join(drop, side), { recursive: true });
          // Large enough that both processes are still writing when the other starts claiming.
          await writeFile(path.join(drop, side, `report_20261101_${i}.csv`), keystreamBytes(512 * 1024, `${side}-${i}`));
        }
        configs.push(
          await writeOctoConfig(
            dir,
            {
              store: store(dir),
              workDir: path.join(dir, `work-${side}`),
              concurrency: 4,
              providers: { example: { bucket, source: `file://${drop}`, settings: { seed: false } } },
            },
            `octo-${side}.yaml`,
          ),
        );
      }
      const env = { ...TEST_AWS_ENV };
      const runs = await Promise.all(configs.map((config) => runOctoCli(['sync', 'example', '--json', '--config', config], { cwd: dir, env })));
      const summaries = runs.map((run) => run.summaries[0]!);
      return { dir, files, runs, summaries };
    }

    /** Every key has exactly one winner, whose bytes the object holds; every loser failed naming it. */
    function expectOneOwnerPerKey(summaries: JobSummary[], files: number, objectBytes: Map<string, Buffer>) {
      const done = summaries.flatMap((s) => s.files.filter((f) => f.status === 'done'));
      const failed = summaries.flatMap((s) => s.files.filter((f) => f.status === 'failed'));
      expect([done.length, failed.length]).toEqual([files, files]);
      expect(objectBytes.size).toBe(files);
      for (const file of done) {
        const [side, name] = file.path.split('/') as [string, string];
        const i = Number(/_(\d+)\.csv$/.exec(name)![1]);
        const key = `data/csv/example/2026-11-01/${name}`;
        expect(sha256(objectBytes.get(key)!)).toBe(sha256(keystreamBytes(512 * 1024, `${side}-${i}`)));
        const other = `${side === 'a' ? 'b' : 'a'}/${name}`;
        const lost = failed.find((f) => f.path === other);
        expect(lost?.status === 'failed' && lost.reason).toBe(conflictReason(other, key, file.path));
      }
    }

    it('on S3, the bucket decides: one owner per key, never both reported landed', async () => {
      counter += 1;
      const bucket = `octo-own-${counter}`;
      await createBucket(reader, bucket);
      const { runs, summaries, files } = await twoProcesses(() => s3Store(), bucket);
      // Which process wins which key is a race; each exits 1 exactly when it lost one.
      expect(runs.map((r) => r.code)).toEqual(summaries.map((s) => (s.failed > 0 ? 1 : 0)));
      const keys = (await listKeys(reader, bucket)).filter((key) => key.startsWith('data/'));
      const bytes = new Map(await Promise.all(keys.map(async (key) => [key, await readObject(reader, bucket, key)] as const)));
      expectOneOwnerPerKey(summaries, files, bytes);
      expect(await listKeys(reader, bucket, '_octo/ledger/')).toHaveLength(files);
    });

    it('on the local store, the same', async () => {
      const { dir, runs, summaries, files } = await twoProcesses((d) => `file://${path.join(d, 'buckets')}`, 'shared-bucket');
      expect(runs.map((r) => r.code)).toEqual(summaries.map((s) => (s.failed > 0 ? 1 : 0)));
      const root = path.join(dir, 'buckets', 'shared-bucket');
      const keys = (await listFiles(root)).filter((key) => key.startsWith('data/'));
      const bytes = new Map(await Promise.all(keys.map(async (key) => [key, await readFile(path.join(root, key))] as const)));
      expectOneOwnerPerKey(summaries, files, bytes);
      expect(await listFiles(path.join(root, '_octo/ledger'))).toHaveLength(files);
    });
  });
});
