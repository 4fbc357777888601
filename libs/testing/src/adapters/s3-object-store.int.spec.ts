import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OctoError } from '@octo/core';
import { sha256, S3ObjectStore, ObjectStoreLedger, WHOLE_PUT_MAX_BYTES, WHOLE_PUT_STAGING_BYTES, WHOLE_PUT_REF, type S3ObjectStoreOptions } from '@octo/core/testing';
import { isUploadPart, startFaultProxy, type FaultProxy } from '../fault-proxy.js';
import { keystreamBytes } from '../keystream-file.js';
import { startMotoS3, testS3Client, type MotoS3Server } from '../moto-s3-server.js';
import { createBucket, listKeys, openUploads, readObject } from '../s3-inspect.js';

const MiB = 1024 * 1024;
const crc32Bytes = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data));
  return out;
};

/** A body that arrives in uneven chunks, as an unpacker produces them. */
function chunked(data: Buffer, chunk = 100_003): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < data.length; offset += chunk) yield data.subarray(offset, offset + chunk);
    })(),
  );
}

describe(S3ObjectStore, () => {
  let moto: MotoS3Server;
  let proxy: FaultProxy;
  let reader: S3Client;
  const stores: S3ObjectStore[] = [];
  let bucketCount = 0;

  /** A store on a fresh bucket; `endpoint` defaults to moto itself. */
  async function store(options: Partial<S3ObjectStoreOptions> & { endpoint?: string; maxAttempts?: number } = {}): Promise<{ store: S3ObjectStore; bucket: string }> {
    bucketCount += 1;
    const bucket = `octo-test-${bucketCount}`;
    await createBucket(reader, bucket);
    const created = new S3ObjectStore({
      location: { bucket, prefix: 'landing/' },
      client: testS3Client(options.endpoint ?? moto.endpoint, { maxAttempts: options.maxAttempts ?? 3 }),
      partSizeBytes: 5 * MiB,
      queueSize: 2,
      ...options,
    });
    stores.push(created);
    return { store: created, bucket };
  }

  beforeAll(async () => {
    moto = await startMotoS3();
    proxy = await startFaultProxy(moto.endpoint, { seed: 7 });
    reader = moto.client();
  });

  afterAll(async () => {
    for (const created of stores) created.client.destroy();
    reader?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  describe('when a staged put has not been committed', () => {
    it('should keep the object invisible, then land it byte-identical with its metadata and checksum on commit', async () => {
      const { store: s3, bucket } = await store();
      const data = keystreamBytes(12 * MiB + 5, 'three-parts');
      const staging = s3.begin();
      const staged = await staging.put('data/csv/report.csv', chunked(data), {
        'octo-provider': 'example',
        'octo-source-path': encodeURIComponent('in/report.csv.gpg'),
        'octo-source-size': '123',
        'octo-job-id': 'job-1',
      });
      expect(staged).toEqual({ key: 'data/csv/report.csv', size: data.length, sha256: sha256(data) });
      expect(await listKeys(reader, bucket)).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([{ key: 'landing/data/csv/report.csv', uploadId: expect.any(String) }]);

      await staging.commit();
      expect(await listKeys(reader, bucket)).toEqual(['landing/data/csv/report.csv']);
      expect(await openUploads(reader, bucket)).toEqual([]);
      expect(sha256(await readObject(reader, bucket, 'landing/data/csv/report.csv'))).toBe(sha256(data));
      const head = await reader.send(new HeadObjectCommand({ Bucket: bucket, Key: 'landing/data/csv/report.csv', ChecksumMode: 'ENABLED' }));
      expect(head.Metadata).toEqual({
        'octo-provider': 'example',
        'octo-source-path': 'in%2Freport.csv.gpg',
        'octo-source-size': '123',
        'octo-job-id': 'job-1',
      });
      // Three 5 MiB parts, each sent with its CRC32; the server composes them (CRC32 of the part CRC32s).
      const partCrcs = [0, 1, 2].map((index) => crc32Bytes(data.subarray(index * 5 * MiB, (index + 1) * 5 * MiB)));
      expect(head.ChecksumCRC32?.replace(/-3$/, '')).toBe(crc32Bytes(Buffer.concat(partCrcs)).toString('base64'));
      expect(head.ContentLength).toBe(data.length);
    });

    it('should land several objects of one staging together, including an empty one', async () => {
      const { store: s3, bucket } = await store();
      const staging = s3.begin();
      await staging.put('a/one.txt', chunked(Buffer.from('one\n')));
      await staging.put('a/empty.txt', chunked(Buffer.alloc(0)));
      await staging.put('a/two.txt', chunked(Buffer.from('two\n')));
      await staging.discard('a/two.txt');
      expect(await listKeys(reader, bucket)).toEqual([]);
      await staging.commit();
      expect(await listKeys(reader, bucket)).toEqual(['landing/a/empty.txt', 'landing/a/one.txt']);
      expect((await readObject(reader, bucket, 'landing/a/empty.txt')).length).toBe(0);
      expect((await readObject(reader, bucket, 'landing/a/one.txt')).toString()).toBe('one\n');
      expect(await openUploads(reader, bucket)).toEqual([]);
    });

    it('should leave nothing behind on abort: no object and no open multipart upload', async () => {
      const { store: s3, bucket } = await store();
      const staging = s3.begin();
      await staging.put('x/a.bin', chunked(keystreamBytes(6 * MiB, 'abort')));
      await staging.put('x/b.bin', chunked(Buffer.from('b')));
      // The small one waits in memory for a whole put: only the large one has an upload.
      expect(await openUploads(reader, bucket)).toEqual([{ key: 'landing/x/a.bin', uploadId: expect.any(String) }]);
      await staging.abort();
      expect(await listKeys(reader, bucket)).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);
    });

    it('should abort the upload when the body fails midway', async () => {
      const { store: s3, bucket } = await store();
      const body = new Readable({
        read() {
          // The test pushes the data itself.
        },
      });
      body.push(keystreamBytes(6 * MiB, 'broken'));
      setTimeout(() => body.destroy(new Error('gzip: unexpected end of file')), 50);
      const staging = s3.begin();
      const error = await staging.put('x/broken.bin', body).catch((caught: unknown) => caught as OctoError);
      expect(OctoError.is(error)).toBe(true);
      expect((error as OctoError).message).toContain('gzip: unexpected end of file');
      await staging.abort();
      expect(await listKeys(reader, bucket)).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);
    });
  });

  describe('when an output is small', () => {
    it('should send nothing before commit, then write it with one PutObject carrying its checksum and metadata: no journal entry, no multipart upload', async () => {
      const { store: s3, bucket } = await store({ endpoint: proxy.endpoint });
      const data = keystreamBytes(WHOLE_PUT_MAX_BYTES, 'whole');
      const staging = s3.begin({ runId: 'run-whole' });
      proxy.reset();
      const staged = await staging.put('whole/data.bin', chunked(data, 65_536), { 'octo-job-id': 'job-whole', 'content-type': 'text/csv' });
      expect(staged).toEqual({ key: 'whole/data.bin', size: data.length, sha256: sha256(data) });
      expect(proxy.requests).toEqual([]);
      expect(staging.refs()).toEqual([{ key: 'whole/data.bin', size: data.length, sha256: sha256(data), ref: WHOLE_PUT_REF }]);

      await staging.commit();
      expect(proxy.requests.map((request) => `${request.method} ${request.url.replace(/\?.*$/, '')}`)).toEqual([`PUT /${bucket}/landing/whole/data.bin`]);
      expect(proxy.requests[0]!.headers['x-amz-checksum-crc32']).toBe(crc32Bytes(data).toString('base64'));
      expect(sha256(await readObject(reader, bucket, 'landing/whole/data.bin'))).toBe(sha256(data));
      const head = await reader.send(new HeadObjectCommand({ Bucket: bucket, Key: 'landing/whole/data.bin' }));
      expect(head.Metadata).toEqual({ 'octo-job-id': 'job-whole', 'octo-run-id': 'run-whole' });
      expect(head.ContentType).toBe('text/csv');
      expect(await listKeys(reader, bucket)).toEqual(['landing/whole/data.bin']);
    });

    it('should stage one byte past the whole-put size, and outputs past what one staging holds in memory, as multipart uploads', async () => {
      const { store: s3, bucket } = await store();
      const staging = s3.begin();
      await staging.put('big/over.bin', chunked(keystreamBytes(WHOLE_PUT_MAX_BYTES + 1, 'over')));
      const held = WHOLE_PUT_STAGING_BYTES / WHOLE_PUT_MAX_BYTES;
      for (let index = 0; index <= held; index += 1) await staging.put(`big/m${index}.bin`, chunked(keystreamBytes(WHOLE_PUT_MAX_BYTES, `m${index}`)));
      expect((await openUploads(reader, bucket)).map((upload) => upload.key).sort()).toEqual(['landing/big/m8.bin', 'landing/big/over.bin']);
      await staging.commit();
      expect(await listKeys(reader, bucket)).toHaveLength(held + 2);
      expect(sha256(await readObject(reader, bucket, 'landing/big/m8.bin'))).toBe(sha256(keystreamBytes(WHOLE_PUT_MAX_BYTES, 'm8')));
      expect(await openUploads(reader, bucket)).toEqual([]);
    });

    it('with ifAbsent, should refuse to replace an object no source owns, and accept its own object landed by a first try', async () => {
      const { store: s3, bucket } = await store();
      await reader.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/owned/foreign.txt', Body: 'not ours' }));
      const refused = s3.begin({ runId: 'run-a' });
      await refused.put('owned/foreign.txt', chunked(Buffer.from('ours\n')), {}, { ifAbsent: true });
      const error = (await refused.commit().catch((caught: unknown) => caught)) as OctoError;
      expect(error.kind).toBe('route');
      expect(error.message).toMatch(/^owned\/foreign\.txt already holds an object that no source owns/);
      expect((await readObject(reader, bucket, 'landing/owned/foreign.txt')).toString()).toBe('not ours');

      // What a first PutObject that landed but whose answer was lost leaves: this run's object.
      const retried = s3.begin({ runId: 'run-b' });
      await retried.put('owned/mine.txt', chunked(Buffer.from('mine\n')), {}, { ifAbsent: true });
      await reader.send(new PutObjectCommand({ Bucket: bucket, Key: 'landing/owned/mine.txt', Body: 'mine\n', Metadata: { 'octo-run-id': 'run-b' } }));
      await retried.commit();
      expect((await readObject(reader, bucket, 'landing/owned/mine.txt')).toString()).toBe('mine\n');
    });
  });

  describe.each(['CRC32C', 'SHA1', 'SHA256'] as const)('when the checksum algorithm is %s', (algorithm) => {
    it('should send it with every part and land identical bytes', async () => {
      const { store: s3, bucket } = await store({ checksumAlgorithm: algorithm });
      const data = keystreamBytes(6 * MiB + 3, algorithm);
      const staging = s3.begin();
      await staging.put('algo/data.bin', chunked(data));
      await staging.commit();
      await s3.putSmall('algo/small.txt', 'small');
      expect(sha256(await readObject(reader, bucket, 'landing/algo/data.bin'))).toBe(sha256(data));
      expect((await readObject(reader, bucket, 'landing/algo/small.txt')).toString()).toBe('small');
      const head = await reader.send(new HeadObjectCommand({ Bucket: bucket, Key: 'landing/algo/data.bin', ChecksumMode: 'ENABLED' }));
      expect(head[`Checksum${algorithm}`]).toMatch(/^[A-Za-z0-9+/]+=*(-2)?$/);
    });
  });

  const kmsKeyId = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  describe.each([
    ['AES256', { serverSideEncryption: 'AES256' }, { ServerSideEncryption: 'AES256' }],
    ['aws:kms with a key id', { serverSideEncryption: 'aws:kms', kmsKeyId }, { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kmsKeyId }],
  ] as const)('when %s server-side encryption is configured', (_name, encryption, expected) => {
    it('should ask for it, with the key id if any, on multipart and small uploads', async () => {
      const { store: s3, bucket } = await store(encryption);
      const staging = s3.begin();
      await staging.put('sse/a.txt', chunked(Buffer.from('secret\n')));
      await staging.commit();
      await s3.putSmall('sse/small.json', '{}');
      for (const key of ['landing/sse/a.txt', 'landing/sse/small.json']) {
        const head = await reader.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        expect(head, key).toMatchObject(expected);
      }
    });
  });

  describe('when listing', () => {
    it('should page through more than 1,000 keys, one LIST call per 1,000', async () => {
      const { bucket } = await store();
      const total = 2_001;
      const keys = Array.from({ length: total }, (_, index) => `landing/_octo/ledger/p/${String(index).padStart(5, '0')}.json`);
      for (let index = 0; index < keys.length; index += 64) {
        await Promise.all(keys.slice(index, index + 64).map((Key) => reader.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }))));
      }
      const counted = new S3ObjectStore({ location: { bucket, prefix: 'landing/' }, client: testS3Client(proxy.endpoint) });
      stores.push(counted);
      proxy.setFaults(undefined);
      proxy.reset();
      const listed: string[] = [];
      for await (const object of counted.list('_octo/ledger/p/')) listed.push(object.key);
      expect(listed).toHaveLength(total);
      expect(listed[0]).toBe('_octo/ledger/p/00000.json');
      expect(listed[total - 1]).toBe('_octo/ledger/p/02000.json');
      const lists = proxy.requests.filter((request) => request.method === 'GET' && request.url.includes('list-type=2'));
      expect(lists).toHaveLength(3);
      expect(proxy.requests.filter((request) => request.method === 'GET' && !request.url.includes('list-type=2'))).toHaveLength(0);

      // The ledger finds pending files with those LIST calls alone.
      proxy.reset();
      const ledger = new ObjectStoreLedger(counted);
      const files = Array.from({ length: 5 }, (_, index) => ({ path: `x${index}.csv`, size: 1, mtimeMs: 0 }));
      expect(await ledger.pending('p', files)).toHaveLength(5);
      expect(proxy.requests.map((request) => request.method)).toEqual(['GET', 'GET', 'GET']);
      // A few files (a small drop, recovery's check of one intent): one LIST of each file's own path, whatever the ledger holds.
      proxy.reset();
      expect(await ledger.pending('p', files.slice(0, 1))).toHaveLength(1);
      expect(proxy.requests.map((request) => new URL(request.url, 'http://proxy').searchParams.get('prefix'))).toEqual([`landing/${ObjectStoreLedger.pathPrefix('p', 'x0.csv')}`]);
    });

    it('should return undefined for a missing key and the bytes of a present one', async () => {
      const { store: s3 } = await store();
      expect(await s3.get('nope.txt')).toBeUndefined();
      await s3.putSmall('yes.txt', 'here', { 'content-type': 'text/plain' });
      const body = await s3.get('yes.txt');
      expect(Buffer.concat(await body!.toArray()).toString()).toBe('here');
    });
  });

  describe('when the server fails some requests', () => {
    it('should retry through the SDK strategy and land identical bytes', async () => {
      // Both outputs as multipart uploads: enough requests for the seeded faults to draw every mode.
      const { store: s3, bucket } = await store({ endpoint: proxy.endpoint, maxAttempts: 10, wholePutMaxBytes: 0 });
      proxy.reset();
      proxy.setFaults({ rate: 0.3, mode: 'mixed' });
      const data = keystreamBytes(16 * MiB, 'flaky');
      try {
        const staging = s3.begin();
        await staging.put('flaky/data.bin', chunked(data));
        await staging.put('flaky/small.txt', chunked(Buffer.from('small')));
        await staging.commit();
      } finally {
        proxy.setFaults(undefined);
      }
      const failed = proxy.requests.filter((request) => request.outcome !== 'forwarded');
      expect(failed.length).toBeGreaterThan(0);
      // Every upload request carried an SDK checksum in a header (not an aws-chunked trailer).
      const uploads = proxy.requests.filter((request) => request.method === 'PUT');
      expect(uploads.length).toBeGreaterThanOrEqual(5);
      for (const request of uploads) {
        expect(request.headers['x-amz-checksum-crc32'], request.url).toMatch(/^[A-Za-z0-9+/]{6}==$/);
        expect(request.headers['content-encoding']).toBeUndefined();
      }
      const creates = proxy.requests.filter((request) => request.method === 'POST' && request.url.includes('uploads'));
      expect(creates.length).toBeGreaterThanOrEqual(2);
      for (const request of creates) expect(request.headers['x-amz-checksum-algorithm']).toBe('CRC32');
      expect(failed.some((request) => request.outcome === '500')).toBe(true);
      expect(failed.some((request) => request.outcome === '503')).toBe(true);
      expect(failed.some((request) => request.outcome === 'reset')).toBe(true);
      expect(sha256(await readObject(reader, bucket, 'landing/flaky/data.bin'))).toBe(sha256(data));
      expect(await openUploads(reader, bucket)).toEqual([]);
    });

    it('should sign each part without hashing its bytes again: the part carries its CRC32, the payload is UNSIGNED-PAYLOAD', async () => {
      const { store: s3, bucket } = await store({ endpoint: proxy.endpoint });
      proxy.reset();
      const data = keystreamBytes(12 * MiB, 'unsigned');
      const staging = s3.begin();
      const staged = await staging.put('unsigned/data.bin', chunked(data));
      await staging.commit();
      const parts = proxy.requests.filter(isUploadPart);
      expect(parts.length).toBeGreaterThanOrEqual(2);
      for (const request of parts) {
        expect(request.headers['x-amz-content-sha256'], request.url).toBe('UNSIGNED-PAYLOAD');
        expect(request.headers['x-amz-checksum-crc32'], request.url).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      }
      // The ledger's sha256 is still Octo's own, over every byte.
      expect(staged.sha256).toBe(sha256(data));
      expect(sha256(await readObject(reader, bucket, 'landing/unsigned/data.bin'))).toBe(sha256(data));
    });

    it('should abort the upload when retries run out: nothing visible, no open upload', async () => {
      const { store: s3, bucket } = await store({ endpoint: proxy.endpoint, maxAttempts: 3 });
      proxy.reset();
      proxy.setFaults({ rate: 1, mode: '500', match: isUploadPart });
      let error: unknown;
      try {
        const staging = s3.begin();
        error = await staging.put('doomed/data.bin', chunked(keystreamBytes(11 * MiB, 'doomed'))).catch((caught: unknown) => caught);
        await staging.abort();
      } finally {
        proxy.setFaults(undefined);
      }
      expect(OctoError.is(error)).toBe(true);
      expect((error as OctoError).kind).toBe('store');
      expect((error as OctoError).message).toMatch(/^cannot upload doomed\/data\.bin to s3:\/\/octo-test-\d+\/landing\/: InternalError: injected by the test proxy \(HTTP 500\) after 3 attempts$/);
      // Each part was tried exactly maxAttempts times, then the upload was aborted.
      const partTries = proxy.requests.filter(isUploadPart);
      expect(partTries.length % 3).toBe(0);
      expect(partTries.length).toBeGreaterThanOrEqual(3);
      expect(proxy.requests.some((request) => request.method === 'DELETE' && request.url.includes('uploadId='))).toBe(true);
      expect(await listKeys(reader, bucket)).toEqual([]);
      expect(await openUploads(reader, bucket)).toEqual([]);
    });
  });

  describe('when it checks the bucket', () => {
    it('should say that a missing bucket does not exist', async () => {
      const missing = new S3ObjectStore({ location: { bucket: 'no-such-bucket', prefix: '' }, client: testS3Client(moto.endpoint) });
      stores.push(missing);
      const error = (await missing.check().catch((caught: unknown) => caught)) as OctoError;
      expect(error.fatal).toBe(true);
      expect(error.message).toBe(`bucket no-such-bucket does not exist at ${moto.endpoint}: create it, or fix the provider's bucket`);
    });
  });
});
