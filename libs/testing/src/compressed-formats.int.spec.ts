import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, type JobSummary, type OctoConfigInput } from '@octo/core';
import { plainProvider, sha256 } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { createBucket, listKeys, openUploads, readObject } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

// bzip2, xz and zstd files as partners make them (Debian's tools, then gpg), over sshd into moto.
describe('bzip2, xz and zstd files over SFTP and S3', () => {
  let stack: SftpS3Stack;
  let summary: JobSummary;
  const bucket = 'octo-formats';
  const rows = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `${i},row ${i},${(i * 37) % 1000}\n`).join(''));
  const memo = Buffer.from('memo for the month\n');

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    stack = await startSftpS3Stack('octo-formats-');
    const drop = path.join(stack.sshd.dropDir, 'formats');
    await mkdir(drop, { recursive: true });
    const gpgHome = path.join(stack.dir, 'gnupg');
    await mkdir(gpgHome, { mode: 0o700 });
    const encrypt = (input: Buffer) =>
      execFileSync('gpg', ['--homedir', gpgHome, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', 'open sesame', '--symmetric', '--compress-algo', 'none', '--output', '-'], {
        input,
        maxBuffer: 64 * 1024 * 1024,
      });
    const tool = (command: string, ...args: string[]) => (input: Buffer) => execFileSync(command, args, { input, maxBuffer: 64 * 1024 * 1024 });
    const tree = await mkdtemp(path.join(stack.dir, 'tree-'));
    for (const folder of ['m4', 'm5', 'm6']) {
      await mkdir(path.join(tree, folder));
      await writeFile(path.join(tree, folder, 'rows.csv'), rows);
      await writeFile(path.join(tree, folder, 'memo.txt'), memo);
    }
    // Each archive its own folder: the plain provider's rule lands entries by their own path.
    const tarWith = (flag: string, folder: string) => execFileSync('tar', ['-c', flag, '-C', tree, '-f', '-', folder], { maxBuffer: 64 * 1024 * 1024 });
    const files: Record<string, Buffer> = {
      'rows_20261101.csv.bz2.gpg': encrypt(tool('bzip2', '-c')(rows)),
      'rows_20261102.csv.xz': tool('xz', '-c')(rows),
      'rows_20261103.csv.zst.pgp': encrypt(tool('zstd', '-q', '-c')(rows)),
      'pack_20261104.tar.xz.gpg': encrypt(tarWith('--xz', 'm4')),
      'pack_20261105.tbz2': tarWith('--bzip2', 'm5'),
      'pack_20261106.tar.zst': tarWith('--zstd', 'm6'),
      'cut_20261107.csv.xz': tool('xz', '-c')(rows).subarray(0, 20_000),
      'legacy_20261108.7z': Buffer.from('377abcaf271c000400000000', 'hex'),
    };
    for (const [name, bytes] of Object.entries(files)) await writeFile(path.join(drop, name), bytes);
    execFileSync('gpgconf', ['--homedir', gpgHome, '--kill', 'all']);
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

  it('should fail the truncated xz and the 7-Zip archive alone, each saying what it is', () => {
    const failed = Object.fromEntries(summary.files.flatMap((f) => (f.status === 'failed' ? [[f.path, `${f.kind}: ${f.reason}`]] : [])));
    expect(failed).toEqual({
      'cut_20261107.csv.xz': 'unpack: cut_20261107.csv.xz: xz data is damaged or truncated (Unexpected end of input)',
      'legacy_20261108.7z':
        'unpack: legacy_20261108.7z is named as a 7-Zip archive, a format Octo does not read; ask the provider to send it as .zip, .tar.gz, .tar.xz, .tar.zst or .tar.bz2',
    });
    expect(summary.files.filter((f) => f.status === 'done')).toHaveLength(6);
  });

  it('should land every other file decompressed, byte for byte, and nothing of the failed ones', async () => {
    const keys = (await listKeys(stack.reader, bucket)).filter((key) => !key.startsWith('_octo/'));
    expect(keys.sort()).toEqual(
      [
        'data/csv/plain/rows_20261101.csv',
        'data/csv/plain/rows_20261102.csv',
        'data/csv/plain/rows_20261103.csv',
        'data/csv/plain/m4/rows.csv',
        'data/other/plain/m4/memo.txt',
        'data/csv/plain/m5/rows.csv',
        'data/other/plain/m5/memo.txt',
        'data/csv/plain/m6/rows.csv',
        'data/other/plain/m6/memo.txt',
      ].sort(),
    );
    for (const key of keys.filter((k) => k.endsWith('.csv'))) expect(sha256(await readObject(stack.reader, bucket, key)), key).toBe(sha256(rows));
    for (const key of keys.filter((k) => k.endsWith('.txt'))) expect(sha256(await readObject(stack.reader, bucket, key)), key).toBe(sha256(memo));
    expect(await openUploads(stack.reader, bucket)).toEqual([]);
  });
});
