import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { StoreConfig } from '../../config/config-schema.js';

/** One client per distinct config in the process (see {@link sharedClient}). */
const clients = new Map<string, S3Client>();

/** The process's client for a store config: every provider and job with the same settings shares its socket pool. */
export function sharedClient(config: StoreConfig): S3Client {
  const settings = s3ClientConfig(config);
  const key = JSON.stringify(settings);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client(settings);
    clients.set(key, client);
  }
  return client;
}

/** SDK client settings from the store config; credentials always come from the SDK's default chain. */
export function s3ClientConfig(config: StoreConfig): S3ClientConfig {
  return {
    // An S3-compatible endpoint rarely cares about the region, but SigV4 needs one.
    region: config.region ?? (config.endpoint ? (process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1') : undefined),
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    // Standard mode: exponential backoff with full jitter for throttling, 5xx and dropped connections.
    retryMode: 'standard',
    maxAttempts: config.maxAttempts,
    requestChecksumCalculation: 'WHEN_SUPPORTED',
    responseChecksumValidation: 'WHEN_SUPPORTED',
    requestHandler: s3RequestTimeouts(config),
  };
}

/**
 * The HTTP handler's timeouts: an endpoint that accepts connections but never answers must
 * fail the request, not hang the job. The request timeout is one of inactivity (the socket's
 * idle timer), so a large part on a slow but moving link is never cut short.
 */
function s3RequestTimeouts(config: StoreConfig): { connectionTimeout: number; socketTimeout: number } {
  return { connectionTimeout: config.connectTimeoutMs, socketTimeout: config.requestTimeoutMs };
}
