import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3';
import { createOctoRuntime, type JobSummary, type LedgerRecord, type OctoConfigInput } from '@octo/core';
import { plainProvider, sha256 } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { startFaultProxy, type FaultProxy, type ProxiedRequest } from './fault-proxy.js';
import { keystreamBytes } from './keystream-file.js';
import { startMotoS3, TEST_AWS_ENV, type MotoS3Server } from './moto-s3-server.js';
import { createBucket, listKeys, readText } from './s3-inspect.js';

/** Small files per run: enough that a request per file stands out from the job's own. */
const FILES = 12;

/**
 * What one small source file costs in S3 requests, counted at a proxy in front of moto: the key
 * claim, the intent, the output (its source tag in the same PutObject), the completion marker,
 * the ledger record and the content index entry. No tagging request, no ledger listing (the
 * listing discovery made answers for new paths), no content index read (one listing for the
 * run) and no intent removal (batched) per file.
 */
describe('S3 requests per small source file', () => {
  let moto: MotoS3Server;
  let proxy: FaultProxy;
  let reader: S3Client;
  let work: string;

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    moto = await startMotoS3();
    proxy = await startFaultProxy(moto.endpoint);
    reader = moto.client();
    work = await mkdtemp(path.join(os.tmpdir(), 'octo-requests-'));
  });

  afterAll(async () => {
    reader?.destroy();
    await proxy?.stop();
    await moto?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function runJob(configPath: string): Promise<{ summary: JobSummary; requests: ProxiedRequest[] }> {
    const runtime = await createOctoRuntime({ configPath, plugins: [plainProvider] });
    proxy.reset();
    const job = await runtime.jobs.start('plain');
    const summary = await job.done;
    return { summary, requests: [...proxy.requests] };
  }

  it('should send six requests per new file, tag each output in its PutObject, drop intents in batches, and still find an earlier delivery of a resent path', async () => {
    const drop = path.join(work, 'drop');
    await mkdir(drop, { recursive: true });
    const sources = new Map<string, Buffer>();
    for (let index = 0; index < FILES; index += 1) {
      const data = keystreamBytes(20_000 + index, `small-${index}`);
      const name = index % 2 ? `f-${index}.csv.gz` : `f-${index}.csv`;
      const bytes = index % 2 ? gzipSync(data) : data;
      await writeFile(path.join(drop, name), bytes);
      sources.set(name, bytes);
    }
    await createBucket(reader, 'counted');
    const config: OctoConfigInput = {
      store: { url: 's3://', endpoint: proxy.endpoint, forcePathStyle: true, region: 'us-east-1' },
      workDir: path.join(work, 'work'),
      providers: { plain: { plugin: 'plain', bucket: 'counted', source: `file://${drop}` } },
    };
    const configPath = await writeOctoConfig(work, config);

    const first = await runJob(configPath);
    expect(first.summary.status).toBe('succeeded');
    expect(first.summary.succeeded).toBe(FILES);
    const perFile = countsOf(first.requests, (count) => count >= FILES);
    expect(perFile).toEqual({
      'PUT data': FILES,
      'PUT _octo/owners': FILES,
      'PUT _octo/intents': FILES,
      'PUT _octo/complete': FILES,
      'PUT _octo/ledger': FILES,
      'PUT _octo/content': FILES,
    });
    // The content index is listed once for the run instead of read once per file.
    expect(first.requests.filter((request) => classify(request) === 'GET _octo/content')).toEqual([]);
    expect(first.requests.filter((request) => isList(request, '_octo/content/'))).toHaveLength(1);
    expect(first.requests.filter(isTagging)).toEqual([]);
    // Intents of recorded files go in batches (DeleteObjects), none by a DELETE of its own, and none is left.
    expect(first.requests.filter((request) => classify(request) === 'DELETE _octo/intents')).toEqual([]);
    expect(first.requests.filter(isDeleteObjects).length).toBeGreaterThan(0);
    expect(await listKeys(reader, 'counted', '_octo/intents/')).toEqual([]);
    // The ledger is listed by discovery (and recovery), never once per file.
    expect(first.requests.filter((request) => isList(request, '_octo/ledger/')).length).toBeLessThanOrEqual(2);
    const dataPuts = first.requests.filter((request) => request.method === 'PUT' && classify(request) === 'PUT data');
    for (const put of dataPuts) expect(put.headers['x-amz-tagging']).toMatch(/^octo-source-sha256=[0-9a-f]{64}$/);
    const dataKeys = (await listKeys(reader, 'counted')).filter((key) => !key.startsWith('_octo/'));
    expect(dataKeys).toHaveLength(FILES);
    for (const key of dataKeys) {
      const source = [...sources].find(([name]) => key.endsWith(`/${name.replace(/\.gz$/, '')}`));
      const tags = await reader.send(new GetObjectTaggingCommand({ Bucket: 'counted', Key: key }));
      expect(tags.TagSet).toEqual([{ Key: 'octo-source-sha256', Value: sha256(source![1]) }]);
    }

    // The same path again with other bytes: its earlier record is still found and superseded.
    const resent = path.join(drop, 'f-0.csv');
    await writeFile(resent, 'resent\n');
    await utimes(resent, new Date('2026-11-02T00:00:00Z'), new Date('2026-11-02T00:00:00Z'));
    const second = await runJob(configPath);
    expect(second.summary.succeeded).toBe(1);
    const records = await Promise.all((await listKeys(reader, 'counted', '_octo/ledger/')).map(async (key) => JSON.parse(await readText(reader, 'counted', key)) as LedgerRecord));
    const latest = records.find((record) => record.path === 'f-0.csv' && record.size === 7);
    const earlier = records.find((record) => record.path === 'f-0.csv' && record.size !== 7);
    expect(latest?.supersedes).toMatchObject({ size: earlier?.size, sha256: earlier?.sha256, jobId: first.summary.jobId });
  });

  it('should tag an output staged as a multipart upload with a request of its own once it is visible', async () => {
    const drop = path.join(work, 'large');
    await mkdir(drop, { recursive: true });
    // Past the 1 MiB held for a whole put: a multipart upload, whose completion cannot carry tags.
    const data = keystreamBytes(3 * 1024 * 1024, 'large');
    await writeFile(path.join(drop, 'large.csv'), data);
    await createBucket(reader, 'large');
    const dir = path.join(work, 'large-config');
    await mkdir(dir, { recursive: true });
    const configPath = await writeOctoConfig(dir, {
      store: { url: 's3://', endpoint: proxy.endpoint, forcePathStyle: true, region: 'us-east-1' },
      workDir: path.join(dir, 'work'),
      providers: { plain: { plugin: 'plain', bucket: 'large', source: `file://${drop}` } },
    });
    const { summary, requests } = await runJob(configPath);
    expect(summary.succeeded).toBe(1);
    const [key] = (await listKeys(reader, 'large')).filter((name) => !name.startsWith('_octo/'));
    expect(requests.filter(isTagging).map((request) => new URL(request.url, 'http://proxy').pathname)).toEqual([`/large/${key}`]);
    const tags = await reader.send(new GetObjectTaggingCommand({ Bucket: 'large', Key: key }));
    expect(tags.TagSet).toEqual([{ Key: 'octo-source-sha256', Value: sha256(data) }]);
  });
});

/** `METHOD area`: the data, an `_octo/<area>` folder, or the bucket itself (listings). */
function classify(request: ProxiedRequest): string {
  const url = new URL(request.url, 'http://proxy');
  const key = url.pathname.split('/').slice(2).join('/');
  const area = key.startsWith('_octo/') ? key.split('/').slice(0, 2).join('/') : key === '' ? 'bucket' : 'data';
  return `${request.method} ${area}${url.searchParams.has('tagging') ? ' tagging' : ''}`;
}

function countsOf(requests: readonly ProxiedRequest[], keep: (count: number) => boolean): Record<string, number> {
  const counts = new Map<string, number>();
  for (const request of requests) counts.set(classify(request), (counts.get(classify(request)) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, count]) => keep(count)));
}

const isDeleteObjects = (request: ProxiedRequest): boolean => request.method === 'POST' && new URL(request.url, 'http://proxy').searchParams.has('delete');

const isTagging = (request: ProxiedRequest): boolean => new URL(request.url, 'http://proxy').searchParams.has('tagging');

function isList(request: ProxiedRequest, prefix: string): boolean {
  const url = new URL(request.url, 'http://proxy');
  return request.method === 'GET' && url.searchParams.get('list-type') === '2' && (url.searchParams.get('prefix') ?? '').startsWith(prefix);
}
