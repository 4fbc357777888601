import { text } from 'node:stream/consumers';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/** Every key in a bucket (under `prefix`), read with an independent client. */
export async function listKeys(client: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** Multipart uploads still open in a bucket (should be none after any job). */
export async function openUploads(client: S3Client, bucket: string): Promise<Array<{ key: string; uploadId: string }>> {
  const answer = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (answer.Uploads ?? []).map((upload) => ({ key: upload.Key ?? '', uploadId: upload.UploadId ?? '' }));
}

/** An object's bytes. */
export async function readObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const chunks: Buffer[] = [];
  for await (const chunk of answer.Body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** An object's sha256 and size, streamed (for large objects). */
export async function hashObject(client: S3Client, bucket: string, key: string): Promise<{ sha256: string; size: number }> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of answer.Body as Readable) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** An object's body as text. */
export async function readText(client: S3Client, bucket: string, key: string): Promise<string> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return text(answer.Body as Readable);
}

/** Creates a bucket (path-style). */
export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}
