import { OctoError } from '../../errors/octo-error.js';
import { unknownAwsProfile } from './aws-profile.js';

/** The SDK's answer for a key or upload that does not exist. */
export function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
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
