import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { OctoError } from '../../errors/octo-error.js';
import { S3ObjectStore } from './s3-object-store.js';

/** A client whose every request is answered as S3 answers a policy without the permission. */
function deniedClient(): S3Client {
  const client = new S3Client({ region: 'us-east-1' });
  client.send = (async () => {
    throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  }) as S3Client['send'];
  return client;
}

describe('S3ObjectStore.tag', () => {
  it('when tagging is denied, should stop the job once with the permission to grant', async () => {
    const store = new S3ObjectStore({ location: { bucket: 'acme-bucket', prefix: '' }, client: deniedClient() });
    let error: unknown;
    try {
      await store.tag('data/csv/x.csv', { 'octo-source-sha256': 'ab' });
    } catch (caught) {
      error = caught;
    }
    expect(OctoError.is(error)).toBe(true);
    expect(error).toMatchObject({
      kind: 'store',
      fatal: true,
      message: 'cannot tag s3://acme-bucket/data/csv/x.csv: access denied; grant s3:PutObjectTagging on the bucket to the identity Octo runs as (the source sha256 tag is set on every output)',
    });
  });

  it('when a whole put carrying the source tag is denied, should stop the job once with the same permission to grant', async () => {
    const store = new S3ObjectStore({ location: { bucket: 'acme-bucket', prefix: 'in/' }, client: deniedClient() });
    const tagged = await store.putObject('data/csv/x.csv', Buffer.from('x'), {}, { tags: { 'octo-source-sha256': 'ab' } }).catch((error: unknown) => error);
    expect(tagged).toMatchObject({
      kind: 'store',
      fatal: true,
      message: 'cannot tag s3://acme-bucket/in/data/csv/x.csv: access denied; grant s3:PutObjectTagging on the bucket to the identity Octo runs as (the source sha256 tag is set on every output)',
    });
    // Without tags, a denied write is the write's own error, for the file.
    const untagged = await store.putObject('data/csv/x.csv', Buffer.from('x')).catch((error: unknown) => error);
    expect(untagged).toMatchObject({ kind: 'store', fatal: false, message: 'cannot write s3://acme-bucket/in/data/csv/x.csv: AccessDenied: Access Denied (HTTP 403)' });
  });
});
