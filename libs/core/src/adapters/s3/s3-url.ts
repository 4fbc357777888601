import { OctoError } from '../../errors/octo-error.js';

/** Where a provider's objects go in S3. */
export interface S3Location {
  readonly bucket: string;
  /** Key prefix, empty or ending in `/`. */
  readonly prefix: string;
}

function splitBucket(value: string): S3Location {
  const [bucket = '', ...rest] = value.split('/');
  const prefix = rest.filter(Boolean).join('/');
  return { bucket, prefix: prefix ? `${prefix}/` : '' };
}

/**
 * Where a provider lands, from the store URL and the provider's `bucket`:
 * - `s3://` (no bucket): the provider's `bucket` (`name` or `name/prefix`) is the S3 bucket;
 * - `s3://shared/base`: every provider shares bucket `shared`, and the provider's `bucket`
 *   is a folder under `base/`, as it is a sub-folder of a `file://` store.
 */
export function resolveS3Location(storeUrl: string, providerBucket: string): S3Location {
  if (!storeUrl.startsWith('s3://')) throw new OctoError('config', `store URL "${storeUrl}" is not an s3:// URL`, { fatal: true });
  const rest = storeUrl.slice('s3://'.length).replace(/^\/+|\/+$/g, '');
  if (rest === '') return splitBucket(providerBucket);
  const shared = splitBucket(rest);
  return { bucket: shared.bucket, prefix: `${shared.prefix}${providerBucket.replace(/^\/+|\/+$/g, '')}/` };
}
