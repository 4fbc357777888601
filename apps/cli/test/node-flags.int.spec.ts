import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempWorkspace } from '@octo/core/testing';
import { DEMO_KEYS_DIR } from '@octo/provider-example';
import { buildOctoCliBundle, OCTO_BIN, removeOctoCliBundle, WORKSPACE_ROOT } from '@octo/testing';

const run = promisify(execFile);

/** What each node process that ran the command saw, in order: its pid and its node flags, or an npm package's module it loaded. */
interface Seen {
  readonly pid: number;
  readonly execArgv?: string[];
  readonly dependency?: string;
}

describe('octo: node flags of the streaming commands', () => {
  let dir: string;
  let probe: string;
  let bundle: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'octo-node-flags-'));
    // Preloaded into every node that runs (through NODE_OPTIONS, which a re-executed node keeps).
    probe = path.join(dir, 'probe.mjs');
    // Loader-hook threads (tsx, when the bundle is older than the sources) preload it too: main thread only.
    await writeFile(
      probe,
      [
        "import { appendFileSync } from 'node:fs';",
        "import { registerHooks } from 'node:module';",
        "import { isMainThread } from 'node:worker_threads';",
        'const note = (seen) => appendFileSync(process.env.PROBE_FILE, JSON.stringify({ pid: process.pid, ...seen }) + "\\n");',
        'if (isMainThread) {',
        '  note({ execArgv: process.execArgv });',
        "  registerHooks({ load(url, context, next) { if (url.includes('/node_modules/')) note({ dependency: url.split('/node_modules/').at(-1) }); return next(url, context); } });",
        '}',
      ].join('\n'),
    );
    bundle = await buildOctoCliBundle();
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    if (bundle) await removeOctoCliBundle(bundle);
  });

  async function processesOf(script: string, args: string[], nodeFlags: string[] = [], cwd = WORKSPACE_ROOT, shows = 'octo'): Promise<Seen[]> {
    const file = path.join(dir, `seen-${Math.random().toString(36).slice(2)}.ndjson`);
    const { stdout } = await run(process.execPath, [...nodeFlags, script, ...args], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: `--import=${probe}`, PROBE_FILE: file },
    });
    expect(stdout).toContain(shows);
    return (await readFile(file, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Seen);
  }

  /** The starts only: the pid and node flags of each process, in order. */
  async function startsOf(script: string, args: string[], nodeFlags: string[] = []): Promise<Seen[]> {
    return (await processesOf(script, args, nodeFlags)).filter((seen) => seen.execArgv);
  }

  it('should run sync again in the same process with an 8 MiB semi-space, through bin/octo.mjs', async () => {
    const seen = await startsOf(OCTO_BIN, ['sync', '--help']);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.pid).toBe(seen[0]?.pid);
    expect(seen[0]?.execArgv).not.toContain('--max-semi-space-size=8');
    expect(seen[1]?.execArgv).toEqual(['--max-semi-space-size=8']);
  }, 60_000);

  it('should do the same when the bundle is run directly (node dist/octo.mjs), keeping node flags given to it', async () => {
    const seen = await startsOf(bundle, ['worker', '--help'], ['--stack-size=900']);
    expect(seen.map((s) => s.execArgv)).toEqual([['--stack-size=900'], ['--max-semi-space-size=8', '--stack-size=900']]);
    expect(seen[1]?.pid).toBe(seen[0]?.pid);
  }, 60_000);

  it('should load none of the CLI before the bundle run directly runs again with the flags, and load it after', async () => {
    const seen = await processesOf(bundle, ['sync', '--help']);
    const second = seen.findIndex((s, index) => index > 0 && s.execArgv);
    expect(seen[second]?.execArgv).toEqual(['--max-semi-space-size=8']);
    expect(seen.slice(0, second).filter((s) => s.dependency)).toEqual([]);
    expect(seen.slice(second + 1).some((s) => s.dependency?.startsWith('yargs/'))).toBe(true);
  }, 60_000);

  it('should load neither ssh2 nor the S3 SDK for a sync between local folders', async () => {
    const decryption = { passphrase: `file:${path.join(DEMO_KEYS_DIR, 'passphrase.txt')}`, privateKeys: [{ key: `file:${path.join(DEMO_KEYS_DIR, 'private.asc')}` }] };
    const workspace = await createTempWorkspace({ provider: 'example', bucket: 'example-bucket', providerConfig: { decryption }, config: { concurrency: undefined } });
    try {
      // The example plugin seeds its drop when the folder does not exist.
      await rm(workspace.dropDir, { recursive: true });
      const loaded = (await processesOf(bundle, ['sync', 'example'], [], workspace.dir, 'example: 8 file(s) to process')).flatMap((s) => (s.dependency ? [s.dependency] : []));
      // It did decrypt and unpack (openpgp.js loaded), and loaded no SFTP or S3 client.
      expect(loaded.some((dependency) => dependency.startsWith('openpgp/'))).toBe(true);
      expect(loaded.filter((dependency) => /^(ssh2|ssh2-sftp-client|sshpk|@aws-sdk|@smithy)\//.test(dependency))).toEqual([]);
    } finally {
      await workspace.cleanup();
    }
  }, 60_000);

  it('should keep the bytecode of the modules it loaded in a compile cache beside the bundle', async () => {
    const cache = path.join(path.dirname(bundle), '.compile-cache');
    await rm(cache, { recursive: true, force: true });
    await startsOf(bundle, ['providers', '--help']);
    expect((await readdir(cache, { recursive: true })).length).toBeGreaterThan(0);
  }, 60_000);

  it('should start once for a command that moves no bytes', async () => {
    const seen = await startsOf(OCTO_BIN, ['providers', '--help']);
    expect(seen).toEqual([{ pid: seen[0]?.pid, execArgv: [] }]);
  }, 60_000);

  it('should leave a semi-space size given to node as it is', async () => {
    const seen = await startsOf(OCTO_BIN, ['sync', '--help'], ['--max-semi-space-size=16']);
    expect(seen.map((s) => s.execArgv)).toEqual([['--max-semi-space-size=16']]);
  }, 60_000);
});
