import { OctoError } from '../../errors/octo-error.js';
import { unknownAwsProfile } from './aws-profile.js';

/** The SDK's answer for a key or upload that does not exist. */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

/** S3 refused the request for the identity's permissions (HTTP 403). */
export function isDenied(error: unknown): boolean {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403;
}

/**
 * Tagging denied is denied for every object alike: the job stops once, with the permission to
 * grant, rather than failing each file. `where` is the object, e.g. `s3://bucket/prefix/key`.
 */
export function taggingDenied(where: string, cause: unknown): OctoError {
  return new OctoError('store', `cannot tag ${where}: access denied; grant s3:PutObjectTagging on the bucket to the identity Octo runs as (the source sha256 tag is set on every output)`, { cause, fatal: true });
}

/** An SDK failure as a `store` error that says what Octo was doing; a credentials failure says where the SDK looked. */
export function storeError(error: unknown, context: string, fatal = false): OctoError {
  if (OctoError.is(error)) return error;
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number; attempts?: number } }).$metadata;
  const message = error instanceof Error ? error.message : String(error);
  const attempts = status?.attempts && status.attempts > 1 ? ` after ${status.attempts} attempts` : '';
  // The SDK says only "Could not load credentials" or "Region is missing" for a mistyped AWS_PROFILE.
  const profile = name === 'CredentialsProviderError' || /region is missing/i.test(message) ? unknownAwsProfile() : undefined;
  if (profile) return new OctoError('config', `${context}: ${profile}`, { cause: error, fatal: true });
  if (name === 'CredentialsProviderError') {
    return new OctoError('store', `${context}: no AWS credentials found (environment, profile, web identity or instance metadata): ${message}`, { cause: error, fatal: true });
  }
  return new OctoError('store', `${context}: ${name && name !== 'Error' ? `${name}: ` : ''}${message}${status?.httpStatusCode ? ` (HTTP ${status.httpStatusCode})` : ''}${attempts}`, {
    cause: error,
    fatal,
  });
}
