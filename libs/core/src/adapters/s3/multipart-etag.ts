import { createHash } from 'node:crypto';
import type { CompletedPart } from '@aws-sdk/client-s3';

/**
 * The ETag S3 gives an object completed from these parts (unencrypted or SSE-S3): the md5 of
 * the parts' binary md5s, a dash and the part count, quoted. Lets a retried conditional
 * completion recognise its own object.
 */
export function multipartETag(parts: readonly CompletedPart[]): string {
  const md5s = Buffer.concat(parts.map((part) => Buffer.from((part.ETag ?? '').replaceAll('"', ''), 'hex')));
  return `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`;
}
