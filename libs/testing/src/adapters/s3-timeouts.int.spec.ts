import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OctoError } from '@octo/core';
import { S3ObjectStore, silentLogger, storeSchema } from '@octo/core/testing';
import { TEST_AWS_ENV } from '../moto-s3-server.js';
import { startSilentServer, type SilentServer } from '../silent-server.js';

/** What a promise settled with, and how long it took. */
async function outcome(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
    return { error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

describe('S3ObjectStore timeouts', () => {
  let silent: SilentServer;
  const stores: S3ObjectStore[] = [];

  const storeOn = (endpoint: string, overrides: Record<string, unknown> = {}) => {
    const config = storeSchema.parse({ url: 's3://', endpoint, forcePathStyle: true, region: 'us-east-1', requestTimeoutMs: 800, maxAttempts: 2, ...overrides });
    const store = S3ObjectStore.fromConfig(config, `silent-${stores.length + 1}`, { logger: silentLogger });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    silent = await startSilentServer();
  });

  afterAll(async () => {
    for (const store of stores) store.client.destroy();
    await silent?.stop();
  });

  describe('when the endpoint accepts connections and never answers', () => {
    it('should fail the store check with the endpoint and the timeout in the message, after maxAttempts', async () => {
      const store = storeOn(silent.endpoint);
      const before = silent.connections();
      const { error, ms } = await outcome(store.check());
      expect(OctoError.is(error)).toBe(true);
      const message = (error as OctoError).message;
      expect(error).toMatchObject({ kind: 'store', fatal: true });
      expect(message).toContain(`cannot reach bucket silent-1 at ${silent.endpoint}`);
      expect(message).toContain('800 ms');
      expect(message).toContain('after 2 attempts');
      // Two attempts of 800 ms plus the SDK's backoff; without a timeout this never returns.
      expect(ms).toBeGreaterThanOrEqual(1500);
      expect(ms).toBeLessThan(10_000);
      expect(silent.connections() - before).toBe(2);
    });

    it('should fail a staged upload instead of waiting for the part to be acknowledged', async () => {
      const store = storeOn(silent.endpoint, { maxAttempts: 1 });
      const staging = store.begin();
      // Over the whole-put size (1 MiB), so the put starts a multipart upload at once rather than waiting for commit.
      const { error, ms } = await outcome(staging.put('data/csv/a.csv', Readable.from([Buffer.alloc(2 * 1024 * 1024, 'a,b\n')])));
      expect(error).toMatchObject({ kind: 'store' });
      expect((error as OctoError).message).toContain('cannot start the upload of data/csv/a.csv to s3://silent-2/');
      expect((error as OctoError).message).toContain('800 ms');
      expect(ms).toBeLessThan(10_000);
      await staging.abort().catch(() => undefined);
    });
  });

});
