import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { createTempWorkspace, listFiles, type TempWorkspace } from '@octo/core/testing';
import { DEMO_KEYS_DIR, writeSampleDrop } from '@octo/provider-example';
import { afterEach, describe, expect, it } from 'vitest';
import { runOctoCli } from '@octo/testing';

const workspaces: TempWorkspace[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

/** An example setup with its drop written, so a run that should not happen would land files. */
async function seeded(passphrase = `file:${path.join(DEMO_KEYS_DIR, 'passphrase.txt')}`, key = `file:${path.join(DEMO_KEYS_DIR, 'private.asc')}`): Promise<{ dir: string; drop: string; bucket: string }> {
  // No concurrency in the file: `octo config show` must show the default.
  const w = await createTempWorkspace({ provider: 'example', bucket: 'example-bucket', providerConfig: { decryption: { passphrase, privateKeys: [{ key }] } }, config: { concurrency: undefined } });
  workspaces.push(w);
  await writeSampleDrop(w.dropDir);
  return { dir: w.dir, drop: w.dropDir, bucket: w.bucketDir };
}

const usage = (message: string) => `octo: ${message}\nRun octo --help for usage.\n`;

describe('octo (arguments are validated before any work)', () => {
  it.each([
    [['--concurrency', 'abc'], '--concurrency must be a whole number 1 or more, not "abc"'],
    [['--concurrency', '0'], '--concurrency must be a whole number 1 or more, not "0"'],
    [['--concurrency', '-3'], '--concurrency must be a whole number 1 or more, not "-3"'],
    [['--concurrency', '1.5'], '--concurrency must be a whole number 1 or more, not "1.5"'],
    [['--concurency', '2'], 'Unknown argument: concurency'],
    [['--dry'], 'Unknown argument: dry'],
  ])('when sync gets %j, should exit 2 with "%s" and leave the bucket untouched', async (extra, message) => {
    const { dir, bucket } = await seeded();
    const result = await runOctoCli(['sync', 'example', ...extra], { cwd: dir });
    expect(result.stderr).toBe(usage(message));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(2);
    expect(existsSync(bucket)).toBe(false);
    expect(existsSync(path.join(dir, 'work'))).toBe(false);
  });

  it('with --dryrun (the AWS CLI spelling), should do a dry run and write nothing', async () => {
    const { dir, bucket } = await seeded();
    const result = await runOctoCli(['sync', 'example', '--dryrun'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('example: would process (dry run, nothing written):');
    expect(existsSync(bucket) ? await listFiles(bucket) : []).toEqual([]);
  });

  it('with --json and a bad argument, should print one error event and nothing else', async () => {
    const { dir, bucket } = await seeded();
    const result = await runOctoCli(['sync', 'example', '--json', '--concurrency', 'abc'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ type: 'error', kind: 'config', reason: '--concurrency must be a whole number 1 or more, not "abc"' });
    expect(existsSync(bucket)).toBe(false);
  });

  it.each([
    [['sync'], 'name at least one provider, or pass --all'],
    [['sync', '--all', 'example'], 'pass either provider names or --all, not both (got --all and example)'],
    [[], 'name a command: sync, providers, pending, ledger, retry, serve, worker, check, hostkey, config'],
    [['serve', '--port', '70000'], '--port must be a whole number from 0 to 65535, not "70000"'],
    [['worker', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 256, not "0"'],
  ])('when called as octo %j, should print the usage error alone, without a stack trace', async (args, message) => {
    const { dir, bucket } = await seeded();
    const result = await runOctoCli(args, { cwd: dir });
    expect(result.stderr).toBe(usage(message));
    expect(result.code).toBe(2);
    expect(existsSync(bucket)).toBe(false);
  });

  it('when the port for serve is taken, should say so in one line and exit 2', async () => {
    const { dir } = await seeded();
    const busy = createServer();
    servers.push(busy);
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
    const result = await runOctoCli(['serve', '--port', String(port)], { cwd: dir, env: { OCTO_API_TOKEN: 'a'.repeat(40) } });
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(`octo: cannot listen on 127.0.0.1:${port}: the port is already in use (another octo serve?); stop that process, or pass --port (0 takes a free one)`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.code).toBe(2);
  });
});

describe('octo sync (keys and secrets are loaded when the job starts)', () => {
  it('when no secret can be read and there is nothing to do, should fail the job at once naming each', async () => {
    const { dir, drop, bucket } = await seeded('env:OCTO_TEST_MISSING_PASSPHRASE', 'file:missing-key.asc');
    await rm(drop, { recursive: true });
    await mkdir(drop, { recursive: true });
    const result = await runOctoCli(['sync', 'example'], { cwd: dir, env: { OCTO_TEST_MISSING_PASSPHRASE: '' } });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/example\s+failed\s+0\s+0\s+0/);
    expect(result.stdout).toContain('example: job failed [config] provider example has no decryption key or passphrase that can be used');
    expect(result.stdout).toContain('decryption.privateKeys[0] (file:missing-key.asc)');
    expect(result.stdout).toContain('decryption.passphrase (env:OCTO_TEST_MISSING_PASSPHRASE)');
    expect(await listFiles(path.join(bucket, '_octo')).catch(() => [])).toEqual([]);
  });
});

describe('octo sync (a key that cannot be read, with nothing to do)', () => {
  it('should warn about it once when the job starts, and succeed', async () => {
    const { dir, drop } = await seeded(undefined, 'file:missing-key.asc');
    await rm(drop, { recursive: true });
    await mkdir(drop, { recursive: true });
    const result = await runOctoCli(['sync', 'example'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr.match(/WARN: decryption\.privateKeys\[0\] \(file:missing-key\.asc\) of provider example cannot be loaded/g)).toHaveLength(1);
    expect(result.stdout).toContain('example: nothing to do, every file is already ingested');
  });
});

describe('octo config show', () => {
  it('should print the effective config with where each value came from, secrets as references only', async () => {
    const { dir } = await seeded('env:OCTO_TEST_PASSPHRASE');
    const result = await runOctoCli(['config', 'show', 'example'], { cwd: dir, env: { OCTO_TEST_PASSPHRASE: 'open-sesame-value', OCTO_CONFIG: '' } });
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('config octo.config.yaml (from the current folder); secrets are shown as their references only');
    expect(lines).toContainEqual(expect.stringMatching(/^store\.url\s+file:\/\/buckets\s+file$/));
    expect(lines).toContainEqual(expect.stringMatching(/^concurrency\s+8\s+default$/));
    expect(lines).toContainEqual(expect.stringMatching(/^providers\.example\.decryption\.passphrase\s+env:OCTO_TEST_PASSPHRASE \(set\)\s+file$/));
    expect(result.stdout).not.toContain('open-sesame-value');
    const unknown = await runOctoCli(['config', 'show', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('octo: unknown provider "nope": the configured providers are example\n');
  });
});

describe('octo sync -v / -vv', () => {
  it('should add what the job found with -v, and each file start and end with -vv, as levelled lines', async () => {
    const { dir } = await seeded();
    const info = await runOctoCli(['sync', 'example', '--dry-run', '-v'], { cwd: dir });
    expect(info.code).toBe(0);
    expect(info.stderr).toMatch(/^\[[\d:.TZ-]+\] INFO: listed the drop \{"provider":"example","jobId":"[^"]+","pending":8,"bytes":\d+,"dryRun":true\}$/m);
    expect(info.stderr).not.toContain('DEBUG:');
    const debug = await runOctoCli(['sync', 'example', '-vv'], { cwd: dir });
    expect(debug.code).toBe(0);
    expect(debug.stderr.match(/\] DEBUG: file started \{"provider":"example","path":"[^"]+","size":\d+\}$/gm)).toHaveLength(8);
    expect(debug.stderr.match(/\] DEBUG: file landed \{"provider":"example","path":"[^"]+","outputs":\d+,"ms":\d+\}$/gm)).toHaveLength(8);
  });
});
