import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKSPACE_ROOT } from './octo-cli.js';

describe('npm run dev:stack', () => {
  let dir: string | undefined;

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should start sshd and moto, write a config for the example provider, and sync it through them', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'octo-dev-stack-'));
    const run = spawnSync(process.execPath, [path.join(WORKSPACE_ROOT, 'tools/dev-stack/start.mjs'), '--run-sync'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, OCTO_DEV_STACK_DIR: dir },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    // The sample drop's size belongs to the example provider; what matters here is all of it landed.
    const row = /example\s+succeeded\s+(\d+)\s+0\s+(\d+)/.exec(run.stdout);
    expect(row, run.stdout).not.toBeNull();
    expect(row?.[1]).toBe(row?.[2]);
    const total = Number(row?.[2]);
    expect(total).toBeGreaterThan(0);
    const keys = run.stdout.split('\n').filter((line) => line.startsWith('  ')).map((line) => line.trim());
    expect(keys.filter((key) => key.startsWith('_octo/ledger/example/'))).toHaveLength(total);
    expect(keys.filter((key) => key.startsWith('data/')).length).toBeGreaterThanOrEqual(total);

    const config = await readFile(path.join(dir, 'octo.dev.yaml'), 'utf8');
    expect(config).toMatch(/"url": "sftp:\/\/[^@]+@127\.0\.0\.1:\d+\//);
    expect(config).toContain('"knownHosts"');
    expect(config).toMatch(/"endpoint": "http:\/\/127\.0\.0\.1:\d+"/);
    expect(await readFile(path.join(dir, 'env.sh'), 'utf8')).toContain('export AWS_ACCESS_KEY_ID=');
  });
});
