import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OctoConfigInput, ProviderCheck } from '@octo/core';
import { GnuPgTestHome } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { runOctoCli } from './octo-cli.js';
import { createBucket, listKeys } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

// `octo check` against the real path: OpenSSH sshd, moto S3, real GnuPG keys. A provider set up
// right passes every step (and warns of its retired key); one set up wrong fails each step with
// its own reason; nothing is written to the drop or the bucket.

let stack: SftpS3Stack;
let gpg: GnuPgTestHome;
let configPath: string;
const fpr: Record<string, string> = {};
const head = Buffer.from('octo check head bytes, then more\n');

beforeAll(async () => {
  [stack, gpg] = await Promise.all([startSftpS3Stack('octo-check-'), GnuPgTestHome.create()]);
  fpr['old'] = await gpg.addKey('old@octo.invalid', 'cv25519');
  fpr['new'] = await gpg.addKey('new@octo.invalid', 'rsa2048');
  await writeFile(path.join(stack.dir, 'old.asc'), await gpg.exportSecret('old@octo.invalid'));
  await writeFile(path.join(stack.dir, 'new.asc'), await gpg.exportSecret('new@octo.invalid'));
  await writeFile(path.join(stack.dir, 'public.asc'), await gpg.gpg(['--armor', '--export', 'new@octo.invalid']));
  await writeFile(path.join(stack.sshd.dropDir, 'a.csv.gpg'), Buffer.concat([head, Buffer.alloc(4096, 1)]));
  await createBucket(stack.reader, 'octo-check');
  const source = {
    url: `sftp://${stack.sshd.user}@127.0.0.1:${stack.sshd.port}${stack.sshd.dropDir}`,
    hostKey: [stack.sshd.rsaHostKeyFingerprint, stack.sshd.hostKeyFingerprint],
    privateKey: `file:${stack.sshd.userKeyFile}`,
    connectTimeoutMs: 10_000,
  };
  const config: OctoConfigInput = {
    store: { url: 's3://', endpoint: stack.moto.endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 },
    workDir: path.join(stack.dir, 'work'),
    providers: {
      ready: {
        plugin: 'example',
        bucket: 'octo-check',
        source,
        decryption: { privateKeys: [{ key: 'file:old.asc', retiresAt: '2026-06-30' }, { key: 'file:new.asc' }] },
      },
      broken: {
        plugin: 'example',
        bucket: 'octo-check-missing',
        source: { ...source, hostKey: stack.sshd.rsaHostKeyFingerprint },
        decryption: { passphrase: 'env:OCTO_CHECK_UNSET', privateKeys: [{ key: 'file:new.asc' }, { key: 'file:public.asc' }] },
      },
      locked: {
        plugin: 'example',
        bucket: 'octo-check',
        source: { ...source, privateKey: `file:${stack.sshd.otherUserKeyFile}` },
      },
    },
  };
  configPath = await writeOctoConfig(stack.dir, config);
}, 120_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), gpg?.dispose()]);
});

const steps = (result: ProviderCheck) => result.steps.map((step) => [step.step, step.status]);

describe('octo check', () => {
  it('should pass every step of a provider set up right, say which key ids it decrypts, warn of the retired key, and write nothing', async () => {
    const run = await runOctoCli(['check', 'ready', '--json', '--config', configPath], { env: TEST_AWS_ENV });
    expect(run.stderr.replace(/\s*OCTO_MAX_RSS_KIB=\d+\s*/, '')).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as ProviderCheck;
    expect(result.ok).toBe(true);
    expect(steps(result)).toEqual([
      ['secrets', 'pass'],
      ['keys', 'warn'],
      ['connect', 'pass'],
      ['login', 'pass'],
      ['list', 'pass'],
      ['read', 'pass'],
      ['bucket', 'pass'],
    ]);
    const detail = Object.fromEntries(result.steps.map((step) => [step.step, step.detail]));
    expect(detail['secrets']).toBe('3 secret(s) resolve: source.privateKey, decryption.privateKeys[0].key, decryption.privateKeys[1].key');
    expect(detail['keys']).toContain(`decryption.privateKeys[0] decrypts key ${fpr['old']!.slice(-16)}, `);
    expect(detail['keys']).toContain(`decryption.privateKeys[1] decrypts key ${fpr['new']!.slice(-16)}, `);
    expect(detail['keys']).toContain(`is past its retiresAt date 2026-06-30, and still decrypts`);
    expect(detail['connect']).toBe(`host key ${stack.sshd.hostKeyFingerprint} (ssh-ed25519) matches the pin`);
    expect(detail['login']).toBe(`logged in as ${stack.sshd.user}`);
    expect(detail['list']).toBe('1 file(s) listed');
    expect(detail['read']).toBe(`read the first 16 byte(s) of a.csv.gpg: ${head.subarray(0, 16).toString('hex')}`);
    for (const step of result.steps) expect(step.seconds).toBeGreaterThanOrEqual(0);
    // The probe object is gone; nothing else was written.
    expect(await listKeys(stack.reader, 'octo-check', '')).toEqual([]);
  }, 60_000);

  it('should fail each step of a provider set up wrong with its own reason, and exit 2', async () => {
    const run = await runOctoCli(['check', 'broken', '--json', '--config', configPath], { env: TEST_AWS_ENV });
    expect(run.code).toBe(2);
    const result = JSON.parse(run.stdout) as ProviderCheck;
    expect(result.ok).toBe(false);
    expect(steps(result)).toEqual([
      ['secrets', 'fail'],
      ['keys', 'fail'],
      ['connect', 'fail'],
      ['login', 'skip'],
      ['list', 'skip'],
      ['read', 'skip'],
      ['bucket', 'fail'],
    ]);
    const detail = Object.fromEntries(result.steps.map((step) => [step.step, step.detail]));
    expect(detail['secrets']).toBe(
      '1 of 4 secret(s) cannot be read: decryption.passphrase (env:OCTO_CHECK_UNSET): secret env:OCTO_CHECK_UNSET is not set: export OCTO_CHECK_UNSET in the environment that runs octo',
    );
    expect(detail['keys']).toMatch(/^decryption\.privateKeys\[1\] \(file:public\.asc\) cannot be loaded: it is a public key/);
    expect(detail['keys']).toContain(`decryption.privateKeys[0] decrypts key ${fpr['new']!.slice(-16)}, `);
    expect(detail['connect']).toContain(
      `host key mismatch for 127.0.0.1:${stack.sshd.port}: the server presented ${stack.sshd.hostKeyFingerprint} (ssh-ed25519) but source.hostKey pins ${stack.sshd.rsaHostKeyFingerprint}`,
    );
    expect(detail['bucket']).toContain('bucket octo-check-missing does not exist');
    expect(run.stdout).not.toContain(stack.dir);
    expect(await readFile(path.join(stack.sshd.dropDir, 'a.csv.gpg'))).toHaveLength(head.length + 4096);
  }, 60_000);

  it('should tell a refused login from a refused host key', async () => {
    const run = await runOctoCli(['check', 'locked', '--json', '--config', configPath], { env: TEST_AWS_ENV });
    const result = JSON.parse(run.stdout) as ProviderCheck;
    expect(steps(result).slice(2, 6)).toEqual([
      ['connect', 'pass'],
      ['login', 'fail'],
      ['list', 'skip'],
      ['read', 'skip'],
    ]);
    expect(result.steps[3]!.detail).toContain(`authentication failed for ${stack.sshd.user}@127.0.0.1:${stack.sshd.port}: the server refused the private key`);
  }, 60_000);

  it('should print a table per provider on a terminal-less run, and refuse a command line that names nothing', async () => {
    const run = await runOctoCli(['check', 'locked', '--config', configPath], { env: TEST_AWS_ENV });
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('locked: NOT ready');
    expect(lines[1]).toMatch(/^step\s+status\s+time\s+detail$/);
    expect(lines.filter((line) => /^(secrets|keys|connect|login|list|read|bucket)\s/.test(line)).map((line) => line.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'secrets pass',
      'keys skip',
      'connect pass',
      'login fail',
      'list skip',
      'read skip',
      'bucket pass',
    ]);
    const usage = await runOctoCli(['check', '--config', configPath]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('octo: name the providers to check, or --all');
  }, 60_000);

  it('--all: should check every provider, one JSON line each', async () => {
    const run = await runOctoCli(['check', '--all', '--json', '--config', configPath], { env: TEST_AWS_ENV });
    expect(run.code).toBe(2);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as ProviderCheck);
    expect(lines.map((line) => [line.provider, line.ok])).toEqual([
      ['broken', false],
      ['locked', false],
      ['ready', true],
    ]);
  }, 60_000);
});
