import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEMO_KEYS_DIR } from '@octo/provider-example';
import { afterEach, describe, expect, it } from 'vitest';
import { OCTO_BIN } from '@octo/testing';

const run = promisify(execFile);
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The first sh block under "## The HTTP API", as a user would paste it. */
async function apiBlock(): Promise<string> {
  const text = await readFile(README, 'utf8');
  const section = text.slice(text.indexOf('## The HTTP API'));
  return section.slice(section.indexOf('```sh\n') + 6, section.indexOf('\n```', section.indexOf('```sh\n')));
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("README's HTTP API block", () => {
  it('should work pasted as written: the server is ready before the first curl, and its logs stay out of the output', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-readme-'));
    dirs.push(dir);
    await writeFile(
      path.join(dir, 'octo.config.yaml'),
      [
        'store: file://.octo/buckets',
        'workDir: .octo/work',
        'providers:',
        '  example:',
        '    source: file://.octo/drop/example',
        '    bucket: example-bucket',
        '    decryption:',
        `      passphrase: file:${path.join(DEMO_KEYS_DIR, 'passphrase.txt')}`,
        '      privateKeys:',
        `        - key: file:${path.join(DEMO_KEYS_DIR, 'private.asc')}`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    // Only what cannot be the same here: the octo command (no npx outside the workspace) and the port.
    const block = (await apiBlock()).replaceAll('npx octo serve', `"$OCTO" serve --port ${port}`).replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
    expect(block).toContain('until curl -sf "$API/healthz"');
    const { stdout, stderr } = await run('bash', ['-e', '-c', block], { cwd: dir, env: { ...process.env, OCTO: OCTO_BIN, PATH: `${path.dirname(process.execPath)}:${process.env["PATH"] ?? ""}` }, timeout: 120_000 }).catch((error: { stdout: string; stderr: string }) => {
      throw new Error(`the block failed:\n${error.stderr}\n${error.stdout}`);
    });
    // The events stream ran to the end, then the jq summary of the same job.
    expect(stdout).toContain('event: job.started');
    expect(stdout).toContain('event: job.finished');
    const start = stdout.indexOf('{\n  "status"');
    const summary = JSON.parse(stdout.slice(start, stdout.indexOf('\n}', start) + 2)) as { status: string; failed: unknown[] };
    expect(summary).toMatchObject({ status: 'succeeded', failed: [] });
    // No server log line in what the user sees; they are in the log file.
    expect(`${stdout}\n${stderr}`).not.toMatch(/"level"|INFO|incoming request|listening/);
    expect(existsSync(path.join(dir, '.octo/api.log'))).toBe(true);
    expect(await readFile(path.join(dir, '.octo/api.log'), 'utf8')).toContain('"msg":"Server listening at');
  });
});
