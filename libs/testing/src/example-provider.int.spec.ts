import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OctoConfigInput } from '@octo/core';
import { listFiles } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { runOctoCli, WORKSPACE_ROOT } from './octo-cli.js';
import { createBucket, listKeys, openUploads, readObject } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

const DEMO_KEYS = path.join(WORKSPACE_ROOT, 'libs/providers/example/demo-keys');

/** The example provider's config around a given source and store. */
function exampleConfig(dir: string, source: OctoConfigInput['providers'][string]['source'], store: OctoConfigInput['store']): OctoConfigInput {
  return {
    store,
    workDir: path.join(dir, 'work'),
    concurrency: 3,
    providers: {
      example: {
        plugin: 'example',
        source,
        bucket: 'example-bucket',
        include: ['**/*'],
        exclude: ['**/*.md'],
        decryption: {
          passphrase: `file:${path.join(DEMO_KEYS, 'passphrase.txt')}`,
          privateKeys: [{ key: `file:${path.join(DEMO_KEYS, 'private.asc')}` }],
        },
      },
    },
  };
}

describe('the example provider on sftp:// and s3://', () => {
  let stack: SftpS3Stack;

  beforeAll(async () => {
    stack = await startSftpS3Stack('octo-example-');
  });

  afterAll(() => stack?.stop());

  it('should land the same objects, byte for byte, as the embedded default does from the same drop', async () => {
    const { sshd, moto, reader, dir } = stack;
    // 1. The embedded default seeds the sample drop inside the SFTP server's folder and lands it locally.
    const drop = path.join(sshd.dropDir, 'example');
    const localDir = path.join(dir, 'local');
    const local = await runOctoCli(['sync', 'example', '--json', '--config', await writeOctoConfig(dir, exampleConfig(localDir, `file://${drop}`, `file://${localDir}/buckets`), 'local.yaml')]);
    expect(local.code, local.stderr).toBe(0);
    const localBucket = path.join(localDir, 'buckets', 'example-bucket');
    const localKeys = (await listFiles(localBucket)).filter((key) => key.startsWith('data/'));
    expect(localKeys.length).toBeGreaterThanOrEqual(8);

    // 2. The real path: the same drop over SFTP into moto.
    await createBucket(reader, 'example-bucket');
    const realDir = path.join(dir, 'real');
    const realConfig = await writeOctoConfig(
      dir,
      exampleConfig(
        realDir,
        { url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${drop}`, hostKey: sshd.hostKeyFingerprint, privateKey: `file:${sshd.userKeyFile}` },
        { url: 's3://', endpoint: moto.endpoint, forcePathStyle: true, region: 'us-east-1' },
      ),
      'real.yaml',
    );
    const real = await runOctoCli(['sync', 'example', '--json', '--config', realConfig], { env: TEST_AWS_ENV });
    expect(real.code, real.stderr).toBe(0);
    const [summary] = real.summaries;
    expect(summary?.status).toBe('succeeded');
    expect(summary?.failed).toBe(0);
    expect(summary?.total).toBe(local.summaries[0]?.total);

    // 3. Read back with a fresh SDK client: same keys, same bytes.
    const s3Keys = await listKeys(reader, 'example-bucket');
    expect(s3Keys.filter((key) => key.startsWith('data/'))).toEqual(localKeys);
    for (const key of localKeys) {
      const [landed, expected] = await Promise.all([readObject(reader, 'example-bucket', key), readFile(path.join(localBucket, key))]);
      expect(landed.equals(expected), key).toBe(true);
    }
    expect(s3Keys.filter((key) => key.startsWith('_octo/ledger/example/'))).toHaveLength(summary!.total);
    expect(await openUploads(reader, 'example-bucket')).toEqual([]);

    // Provenance travels with every object.
    const head = await reader.send(new HeadObjectCommand({ Bucket: 'example-bucket', Key: localKeys[0]! }));
    expect(head.Metadata?.['octo-provider']).toBe('example');
    expect(head.Metadata?.['octo-job-id']).toBe(summary!.jobId);
    expect(Number(head.Metadata?.['octo-source-size'])).toBeGreaterThan(0);

    // 4. The ledger in the bucket makes a rerun a no-op.
    const again = await runOctoCli(['sync', 'example', '--json', '--config', realConfig], { env: TEST_AWS_ENV });
    expect(again.code, again.stderr).toBe(0);
    expect(again.summaries[0]?.total).toBe(0);
  });
});
