import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type JobSummary, type OctoConfigInput } from '@octo/core';
import { craftZip, plainProvider, sha256, tarOf } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { createBucket, listKeys, openUploads, readObject } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

const MiB = 1024 * 1024;

// The limits and the unpack-side errors hold on the real path too: sshd in, moto out.
describe('hostile partner files over SFTP and S3', () => {
  let stack: SftpS3Stack;
  let summary: JobSummary;
  const bucket = 'octo-hostile';
  const long = `${'n'.repeat(296)}.csv`;

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    stack = await startSftpS3Stack('octo-hostile-');
    const drop = path.join(stack.sshd.dropDir, 'hostile');
    await mkdir(drop, { recursive: true });
    const member = gzipSync(Buffer.alloc(64 * MiB));
    const gpgHome = path.join(stack.dir, 'gnupg');
    await mkdir(gpgHome, { mode: 0o700 });
    const bzip2Bomb = execFileSync(
      'gpg',
      ['--homedir', gpgHome, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', 'open sesame', '--symmetric', '--compress-algo', 'bzip2', '--output', '-'],
      { input: Buffer.alloc(64 * MiB), maxBuffer: 16 * MiB },
    );
    execFileSync('gpgconf', ['--homedir', gpgHome, '--kill', 'all']);
    const tar = await tarOf([['a.csv', Buffer.alloc(300_000, 'a')], ['b.csv', Buffer.alloc(300_000, 'b')]]);
    const files: Record<string, Buffer> = {
      'bomb.csv.gz': Buffer.concat(Array.from({ length: 40 }, () => member)),
      'bzip2.csv.gpg': bzip2Bomb,
      'shared.zip': craftZip([{ name: 'a.bin', content: Buffer.alloc(4096, 1) }], [{ record: 0 }, { record: 0, name: 'b.bin' }]),
      'cut.tar': tar.subarray(0, 450_000),
      'long.tar': await tarOf([[long, 'fits an S3 key']]),
      'good.csv': Buffer.from('id,amount\n1,2\n'),
    };
    for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(drop, name), bytes);
    await createBucket(stack.reader, bucket);
    await writeFile(path.join(stack.dir, 'pass.txt'), 'open sesame');
    const config: OctoConfigInput = {
      store: { url: 's3://', endpoint: stack.moto.endpoint, forcePathStyle: true, region: 'us-east-1' },
      workDir: path.join(stack.dir, 'work'),
      providers: {
        plain: {
          plugin: 'plain',
          bucket,
          source: { url: `sftp://${stack.sshd.user}@127.0.0.1:${stack.sshd.port}${drop}`, hostKey: stack.sshd.hostKeyFingerprint, privateKey: `file:${stack.sshd.userKeyFile}` },
          decryption: { passphrase: `file:${path.join(stack.dir, 'pass.txt')}` },
        },
      },
    };
    const runtime = await createOctoRuntime({ configPath: await writeOctoConfig(stack.dir, config), plugins: [plainProvider] });
    summary = await (await runtime.jobs.start('plain')).done;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('should fail each hostile file alone with its kind and reason, naming no local path', () => {
    const failed = Object.fromEntries(summary.files.flatMap((f) => (f.status === 'failed' ? [[f.path, `${f.kind}: ${f.reason}`]] : [])));
    expect(failed).toEqual({
      'bomb.csv.gz': 'unsafe: bomb.csv.gz expands more than 1000x (limits.maxCompressionRatio): refusing a likely decompression bomb',
      'bzip2.csv.gpg': 'unsafe: bzip2.csv.gpg (decrypted) expands more than 1000x (limits.maxCompressionRatio): refusing a likely decompression bomb',
      'shared.zip':
        'unsafe: shared.zip: zip entries "a.bin" and "b.bin" overlap (they share bytes of the archive): refusing a crafted archive; ask the provider for a zip written by an ordinary tool',
      'cut.tar': 'unpack: cut.tar: tar entry "b.csv" is cut short: the archive is truncated or damaged; ask the provider to send it again',
    });
    expect(JSON.stringify(summary)).not.toContain(stack.dir);
  });

  it('should land the good files, a name too long for a local folder included (S3 takes it), and nothing of the others', async () => {
    const keys = (await listKeys(stack.reader, bucket)).filter((key) => !key.startsWith('_octo/'));
    expect(keys.sort()).toEqual(['data/csv/plain/good.csv', `data/csv/plain/${long}`].sort());
    expect(sha256(await readObject(stack.reader, bucket, `data/csv/plain/${long}`))).toBe(sha256('fits an S3 key'));
    expect(await openUploads(stack.reader, bucket)).toEqual([]);
  });
});
