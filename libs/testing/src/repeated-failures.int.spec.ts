import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctoRuntime, defineProvider, providerSettings, type JobSummary, type OctoConfigInput, type ProviderPlugin } from '@octo/core';
import { z } from 'zod';
import { encryptBytes, plainProvider, sha256 } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { runOctoCli } from './octo-cli.js';
import { createBucket, listKeys, readText } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

/** Stands in for the registry's `example` plugin in process (a testing library may not import a provider); its failing runs do not depend on the folder rule. */
const exampleStandIn = defineProvider({
  name: 'example',
  description: 'defaults only',
  settings: providerSettings('example', z.object({ seed: z.boolean() }).strict()),
}) as ProviderPlugin<unknown>;

const wholeGzip = gzipSync(Buffer.alloc(100_000, 'x'));
/** Bytes that stop inside their gzip stream: every run fails them as unpack. */
const truncatedGzip = wholeGzip.subarray(0, wholeGzip.length - 10);

// Failures that repeat, order and resends, on OpenSSH's sftp-server and moto's S3 (the quarantine through the real CLI).
describe('repeated failures and resends over SFTP and S3', () => {
  let stack: SftpS3Stack;
  let counter = 0;

  beforeAll(async () => {
    stack = await startSftpS3Stack('octo-ops-');
    Object.assign(process.env, TEST_AWS_ENV);
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** A fresh drop on sshd, a bucket on moto and a config for them. */
  async function scenario(plugin: 'plain' | 'example', provider: Record<string, unknown> = {}, secrets: Record<string, string> = {}) {
    counter += 1;
    const drop = path.join(stack.sshd.dropDir, `ops-${counter}`);
    await mkdir(drop, { recursive: true });
    const bucket = `octo-ops-${counter}`;
    await createBucket(stack.reader, bucket);
    const dir = path.join(stack.dir, `ops-${counter}`);
    await mkdir(dir, { recursive: true });
    for (const [name, value] of Object.entries(secrets)) await writeFile(path.join(dir, name), value, { mode: 0o600 });
    const config: OctoConfigInput = {
      store: { url: 's3://', endpoint: stack.moto.endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 2 },
      workDir: path.join(dir, 'work'),
      providers: {
        [plugin]: {
          plugin,
          bucket,
          source: { url: `sftp://${stack.sshd.user}@127.0.0.1:${stack.sshd.port}${drop}`, hostKey: stack.sshd.hostKeyFingerprint, privateKey: `file:${stack.sshd.userKeyFile}` },
          ...(plugin === 'example' ? { settings: { seed: false } } : {}),
          ...provider,
        },
      },
    };
    const configPath = await writeOctoConfig(dir, config);
    const cli = (args: readonly string[]) => runOctoCli([...args, '--config', configPath], { env: { ...process.env, ...TEST_AWS_ENV }, measureRss: false });
    const sync = async (): Promise<JobSummary> => (await (await createOctoRuntime({ configPath, plugins: [plugin === 'plain' ? plainProvider : exampleStandIn] })).jobs.start(plugin)).done;
    const keys = async (prefix = '') => listKeys(stack.reader, bucket, prefix);
    return { dir, drop, bucket, cli, sync, keys };
  }

  it('should quarantine a file failing three runs on the third, skip it on the fourth saying so, and land it after octo retry once fixed', async () => {
    const s = await scenario('example', { decryption: { passphrase: 'file:pass.txt' } }, { 'pass.txt': 'not the passphrase' });
    const body = Buffer.from('id,amount\n1,10\n');
    await writeFile(path.join(s.drop, 'statements_20261101.csv.gpg'), await encryptBytes(body, { passphrase: 'open sesame' }));

    // Two failed runs in process (starting the CLI costs seconds each), the third through the CLI.
    for (let run = 1; run <= 2; run += 1) expect((await s.sync()).files.map((f) => [f.path, f.status])).toEqual([['statements_20261101.csv.gpg', 'failed']]);
    const third = await s.cli(['sync', 'example', '--json']);
    expect(third.code).toBe(1);
    expect(third.summaries[0]?.files.map((f) => [f.path, f.status])).toEqual([['statements_20261101.csv.gpg', 'failed']]);
    expect(third.summaries[0]?.skipped).toBeUndefined();
    const [recordKey, ...more] = await s.keys('_octo/quarantine/example/');
    expect(more).toEqual([]);
    expect(JSON.parse(await readText(stack.reader, s.bucket, recordKey ?? ''))).toMatchObject({ path: 'statements_20261101.csv.gpg', attempts: 3, lastKind: 'decrypt' });

    const fourth = await s.cli(['sync', 'example']);
    expect(fourth.code).toBe(0);
    expect(fourth.stdout).toMatch(/example: 1 file\(s\) not attempted:\nfile\s+why\s+reason\n[-\s]+\nstatements_20261101\.csv\.gpg\s+quarantined\s+quarantined after failing 3 runs \(last, /);
    expect(fourth.stdout).not.toContain('nothing to do');

    const pending = await s.cli(['pending', 'example', '--json']);
    expect(pending.code).toBe(0);
    const listed = JSON.parse(pending.stdout) as { pending: unknown[]; quarantined: Array<{ path: string; attempts: number; lastKind: string; lastReason: string }> };
    expect(listed.pending).toEqual([]);
    expect(listed.quarantined.map((q) => [q.path, q.attempts, q.lastKind])).toEqual([['statements_20261101.csv.gpg', 3, 'decrypt']]);
    expect(listed.quarantined[0]?.lastReason).toContain('decryption.passphrase (file:pass.txt) of provider example is not the one it was encrypted with');
    const table = await s.cli(['pending', 'example']);
    expect(table.stdout).toContain('example: 1 file(s) quarantined, not retried until released (octo retry example <file>):');

    await writeFile(path.join(s.dir, 'pass.txt'), 'open sesame');
    const unknown = await s.cli(['retry', 'example', 'statements_20261102.csv.gpg']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('octo: statements_20261102.csv.gpg is not quarantined for provider example: the quarantined files are: statements_20261101.csv.gpg (see octo pending example)\n');
    const retry = await s.cli(['retry', 'example', 'statements_20261101.csv.gpg']);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/^example: released statements_20261101\.csv\.gpg \(quarantined after 3 failed runs; last: .+\); the next sync of example takes it again\n$/);
    expect(await s.keys('_octo/quarantine/')).toEqual([]);

    const landed = await s.cli(['sync', 'example', '--json']);
    expect(landed.code).toBe(0);
    expect(landed.summaries[0]?.files.map((f) => [f.path, f.status])).toEqual([['statements_20261101.csv.gpg', 'done']]);
    expect((await s.keys()).filter((key) => !key.startsWith('_octo/'))).toEqual(['data/csv/example/2026-11-01/statements_20261101.csv']);
    expect(await readText(stack.reader, s.bucket, 'data/csv/example/2026-11-01/statements_20261101.csv')).toBe(body.toString());
  }, 180_000);

  it('should stop the job at the first failed file with onError: fail-run, landing nothing after it', async () => {
    const s = await scenario('plain', { onError: 'fail-run', concurrency: 1 });
    await writeFile(path.join(s.drop, 'a.csv'), 'a\n');
    await writeFile(path.join(s.drop, 'b.csv.gz'), truncatedGzip);
    await writeFile(path.join(s.drop, 'c.csv'), 'c\n');
    const summary = await s.sync();
    expect(summary).toMatchObject({ status: 'failed', total: 2, succeeded: 1, failed: 1, error: { kind: 'unpack' } });
    expect(summary.error?.reason).toMatch(/^the job stopped at its first failed file \(onError: fail-run\): b\.csv\.gz: .+; 1 later file\(s\) were not attempted$/);
    expect(summary.skipped).toEqual([{ path: 'c.csv', size: 2, why: 'not-attempted', reason: 'not attempted: b.csv.gz failed before it and onError is fail-run; fix or release that file, and the next run takes this one' }]);
    expect((await s.keys()).filter((key) => key.startsWith('data/'))).toEqual(['data/csv/plain/a.csv']);
  }, 60_000);

  it('should take files oldest first in sequential mode and stop the later ones at a failure', async () => {
    const s = await scenario('plain', { sequential: true, order: 'mtime' });
    const names = ['z_1.csv', 'y_2.csv', 'x_3.csv.gz', 'w_4.csv'];
    for (const name of names) await writeFile(path.join(s.drop, name), name.endsWith('.gz') ? truncatedGzip : `${name}\n`);
    const base = Date.now() / 1000 - 3600;
    for (const [index, name] of names.entries()) await utimes(path.join(s.drop, name), base + index * 60, base + index * 60);

    const summary = await s.sync();
    expect(summary).toMatchObject({ status: 'partial', total: 3, succeeded: 2, failed: 1 });
    expect(summary.files.map((f) => [f.path, f.status])).toEqual([
      ['x_3.csv.gz', 'failed'],
      ['y_2.csv', 'done'],
      ['z_1.csv', 'done'],
    ]);
    expect(summary.skipped?.map((f) => [f.path, f.why, f.reason])).toEqual([
      ['w_4.csv', 'not-attempted', 'not attempted: x_3.csv.gz failed before it and sequential is set, so files are applied in order; fix or release that file, and the next run takes this one'],
    ]);
    expect((await s.keys()).filter((key) => key.startsWith('data/'))).toEqual(['data/csv/plain/y_2.csv', 'data/csv/plain/z_1.csv']);
  }, 60_000);

  it('should report a resend under a new name, and with resend: skip record it without landing it', async () => {
    const s = await scenario('plain', { resend: 'skip' });
    const body = gzipSync('id,amount\n7,70\n');
    await writeFile(path.join(s.drop, 'positions_1101.csv.gz'), body);
    const first = await s.sync();
    expect(first.files.map((f) => [f.path, f.status])).toEqual([['positions_1101.csv.gz', 'done']]);
    expect(await s.keys(`_octo/content/plain/`)).toEqual([`_octo/content/plain/${sha256(body)}.json`]);

    await mkdir(path.join(s.drop, 'resent'));
    await writeFile(path.join(s.drop, 'resent', 'positions_1101_again.csv.gz'), body);
    const second = await s.sync();
    expect(second).toMatchObject({ status: 'succeeded', total: 1, succeeded: 1, bytesOut: 0 });
    expect(second.files).toEqual([
      expect.objectContaining({
        path: 'resent/positions_1101_again.csv.gz',
        status: 'done',
        outputs: [],
        resendOf: expect.objectContaining({ path: 'positions_1101.csv.gz', jobId: first.jobId, policy: 'skip' }),
      }),
    ]);
    expect((await s.keys()).filter((key) => key.startsWith('data/'))).toEqual(['data/csv/plain/positions_1101.csv']);
    const ledger = await Promise.all((await s.keys('_octo/ledger/plain/')).map(async (key) => JSON.parse(await readText(stack.reader, s.bucket, key)) as { path: string; outputs: unknown[]; resendOf?: { path: string; policy: string } }));
    expect(ledger.map((r) => [r.path, r.outputs.length, r.resendOf?.path, r.resendOf?.policy]).sort()).toEqual([
      ['positions_1101.csv.gz', 1, undefined, undefined],
      ['resent/positions_1101_again.csv.gz', 0, 'positions_1101.csv.gz', 'skip'],
    ]);
    expect(await s.sync()).toMatchObject({ total: 0, files: [] });
  }, 60_000);
});
