import { describe, expect, it } from 'vitest';
import { storeSchema } from '../../config/config-schema.js';
import { OctoError } from '../../errors/octo-error.js';
import { silentLogger } from '../../ports/logger.js';
import { maxObjectBytes, partSizeFor } from './part-size.js';
import { s3ClientConfig } from './s3-client-config.js';
import { S3ObjectStore } from './s3-object-store.js';
import { resolveS3Location } from './s3-url.js';

const MiB = 1024 * 1024;

describe(S3ObjectStore, () => {
  describe('when built from config', () => {
    it('should land a provider in its own bucket under a bare s3:// store', () => {
      const store = S3ObjectStore.fromConfig(storeSchema.parse({ url: 's3://', region: 'eu-west-1' }), 'acme-bank/in', { logger: silentLogger });
      expect(store.description).toBe('s3://acme-bank/in/');
      expect(store.keyOf('data/csv/x.csv')).toBe('in/data/csv/x.csv');
    });

    it('should refuse a KMS key id without aws:kms', () => {
      const config = storeSchema.parse({ url: 's3://', kmsKeyId: 'alias/octo' });
      let error: unknown;
      try {
        S3ObjectStore.fromConfig(config, 'b-1', { logger: silentLogger });
      } catch (caught) {
        error = caught;
      }
      expect(OctoError.is(error)).toBe(true);
      expect(error).toMatchObject({ kind: 'config', fatal: true, message: 'store.kmsKeyId is set but store.serverSideEncryption is not aws:kms' });
    });
  });
});

describe(s3ClientConfig, () => {
  it('should use the standard retry mode with the configured attempts and checksums when supported', () => {
    const config = s3ClientConfig(storeSchema.parse({ url: 's3://', region: 'eu-west-1', maxAttempts: 7 }));
    expect(config).toMatchObject({ region: 'eu-west-1', retryMode: 'standard', maxAttempts: 7, requestChecksumCalculation: 'WHEN_SUPPORTED', forcePathStyle: false });
    expect(config).not.toHaveProperty('credentials');
  });

  it('should give the HTTP handler a connect timeout and an inactivity timeout (10 s and 30 s unless configured)', () => {
    expect(s3ClientConfig(storeSchema.parse({ url: 's3://' })).requestHandler).toEqual({ connectionTimeout: 10_000, socketTimeout: 30_000 });
    const tuned = s3ClientConfig(storeSchema.parse({ url: 's3://', connectTimeoutMs: 2_000, requestTimeoutMs: 120_000 }));
    expect(tuned.requestHandler).toEqual({ connectionTimeout: 2_000, socketTimeout: 120_000 });
  });

  it('should sign for some region when a custom endpoint has none configured', () => {
    const config = s3ClientConfig(storeSchema.parse({ url: 's3://', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }));
    expect(config.region).toBe(process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'] ?? 'us-east-1');
    expect(config.endpoint).toBe('http://127.0.0.1:9000');
  });
});

describe(resolveS3Location, () => {
  it('should take the provider bucket as the S3 bucket under a bare s3:// store', () => {
    expect(resolveS3Location('s3://', 'acme-bank/in')).toEqual({ bucket: 'acme-bank', prefix: 'in/' });
    expect(resolveS3Location('s3://', 'acme-bank')).toEqual({ bucket: 'acme-bank', prefix: '' });
  });

  it('should make the provider bucket a folder of a shared bucket', () => {
    expect(resolveS3Location('s3://shared/base/', 'acme-bank')).toEqual({ bucket: 'shared', prefix: 'base/acme-bank/' });
    expect(resolveS3Location('s3://shared', 'acme-bank')).toEqual({ bucket: 'shared', prefix: 'acme-bank/' });
  });
});

describe(partSizeFor, () => {
  it('should let 10,000 parts reach 5 TiB from the smallest base part, growing every 800 parts', () => {
    expect(partSizeFor(1, 5 * MiB)).toBe(5 * MiB);
    expect(partSizeFor(800, 5 * MiB)).toBe(5 * MiB);
    expect(partSizeFor(801, 5 * MiB)).toBe(10 * MiB);
    expect(partSizeFor(10_000, 5 * MiB)).toBe(5 * 1024 * MiB);
    expect(maxObjectBytes(5 * MiB)).toBeGreaterThan(5 * 1024 ** 4);
  });

  it('should never go below S3 minimum part size', () => {
    expect(partSizeFor(1, 1 * MiB)).toBe(5 * MiB);
  });
});
