import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleProvider } from '@octo/provider-example';
import { createOctoApi } from '@octo/server';
import { OCTO_BIN } from '@octo/testing';
import { createTempWorkspace, ledgerRecords, listBucket, readSse, type TempWorkspace, TEST_ENV, testApiConfig, testDropFiles, TEST_TOKEN, writeLargeCsvFiles } from '@octo/core/testing';

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `octo serve --config FILE --port 0` as its own process and waits until it listens. */
async function serve(configFile: string, extra: readonly string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [OCTO_BIN, 'serve', '--config', configFile, '--port', '0', '--host', '127.0.0.1', ...extra], {
    env: { ...process.env, ...TEST_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk) => {
      stderr += chunk;
      const match = /API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    void exited.then(({ code }) => reject(new Error(`octo serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, stdout: () => stdout, stderr: () => stderr, exited };
}

async function startJob(url: string, body: unknown): Promise<string> {
  const response = await fetch(`${url}/v1/providers/example/jobs`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(202);
  return ((await response.json()) as { id: string }).id;
}

describe('octo serve', () => {
  let setup: TempWorkspace;
  let files: string[];

  beforeAll(async () => {
    // The example plugin, as the CLI's registry has it, over the test drop (written first, so it seeds nothing).
    setup = await createTempWorkspace({
      provider: 'example',
      bucket: 'example-bucket',
      providerConfig: { exclude: ['**/*.md'] },
      testDrop: true,
      config: { api: testApiConfig({ logLevel: 'info' }) },
    });
    const large = await writeLargeCsvFiles(setup.dropDir, { count: 6, bytes: 16 * 1024 * 1024 });
    files = [...testDropFiles().map((file) => file.file), ...large].sort();
  });

  afterAll(async () => {
    await setup?.cleanup();
  });

  it('should show a job whose process was killed as interrupted, and a rerun should process exactly the files not yet ingested', async () => {
    const served = await serve(setup.configFile);
    const id = await startJob(served.url, { concurrency: 1 });
    const events = await fetch(`${served.url}/v1/jobs/${id}/events`, { headers: auth });
    for await (const event of readSse(events.body!)) {
      if (event.event === 'file.done' && (event.data as { path: string }).path.startsWith('large_')) {
        served.child.kill('SIGKILL');
        break;
      }
    }
    expect((await served.exited).signal).toBe('SIGKILL');
    const written = JSON.parse(await readFile(path.join(setup.workDir, 'jobs', `${id}.json`), 'utf8'));
    expect(written.status).toBe('running');

    const bucketRoot = setup.bucketDir;
    const before = await ledgerRecords(bucketRoot, 'example');
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(files.length);
    const remaining = files.filter((file) => !before.some((record) => record.path === file));
    // Objects of files the ledger holds are visible; nothing of the file cut off mid-way is.
    const visible = [...(await listBucket(bucketRoot)).keys()].sort();
    expect(visible).toEqual(before.flatMap((record) => record.outputs.map((output) => output.key)).sort());

    const api = await createOctoApi({ loaded: setup.loaded, plugins: [exampleProvider], env: TEST_ENV, api: { logLevel: 'silent' } });
    try {
      const interrupted = await api.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers: auth });
      expect(interrupted.json()).toMatchObject({ id, status: 'interrupted', finishedAt: expect.any(String) });
      const rerun = await api.app.inject({ method: 'POST', url: '/v1/providers/example/jobs', headers: auth, payload: {} });
      expect(rerun.statusCode).toBe(202);
      const summary = await api.runtime.jobs.get(rerun.json().id)!.done;
      expect(summary).toMatchObject({ status: 'succeeded', total: remaining.length, succeeded: remaining.length });
      expect(summary.files.map((file) => file.path)).toEqual(remaining);
    } finally {
      await api.shutdown(0);
    }
    const after = await ledgerRecords(bucketRoot, 'example');
    expect(after.map((record) => record.path).sort()).toEqual(files);
  });

  it('should, on SIGTERM, let the running job finish within the deadline, then exit', async () => {
    const drop = setup.dropDir;
    for (let i = 1; i <= 3; i += 1) {
      const file = path.join(drop, `late_2026112${i}.csv`);
      await writeFile(file, Buffer.alloc(16 * 1024 * 1024, `late ${i},2026-11-2${i}\n`));
      await utimes(file, new Date('2026-11-08T06:00:00Z'), new Date('2026-11-08T06:00:00Z'));
    }
    const served = await serve(setup.configFile, ['-vv']);
    const id = await startJob(served.url, { concurrency: 1 });
    const response = await fetch(`${served.url}/v1/jobs/${id}/events`, { headers: auth });
    const seen: string[] = [];
    for await (const event of readSse(response.body!)) {
      seen.push(event.event);
      if (seen.length === 1) served.child.kill('SIGTERM');
      if (event.event === 'job.finished') expect((event.data as { summary: { status: string; succeeded: number } }).summary).toMatchObject({ status: 'succeeded', succeeded: 3 });
    }
    expect(seen.slice(-2)).toEqual(['job.finished', 'end']);
    expect(await served.exited).toEqual({ code: 0, signal: null });
    expect(served.stderr()).toContain('octo: API stopped (1 job(s) finished, 0 cancelled)');
    const report = JSON.parse(await readFile(path.join(setup.workDir, 'jobs', `${id}.json`), 'utf8'));
    expect(report).toMatchObject({ status: 'succeeded', succeeded: 3 });
    // Logs go to stderr as timestamped, levelled lines, never to stdout (which stays the user's), with the token never written.
    expect(served.stdout()).toBe('');
    for (const message of ['job started', 'job finished', 'signal received']) expect(served.stderr()).toMatch(new RegExp(`^\\[\\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z\\] INFO: ${message} `, 'm'));
    expect(served.stderr()).not.toContain(TEST_TOKEN);
    expect(served.stderr()).toContain('"authorization":"[redacted]"');
  });
  it('should serve the web console built by npm ci at /, with its CSP, beside the API', async () => {
    const served = await serve(setup.configFile);
    const page = await fetch(`${served.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'; /);
    const html = await page.text();
    expect(html).toContain('<title>Octo console</title>');
    const script = /<script type="module" crossorigin src="(\/assets\/[A-Za-z0-9._-]+\.js)">/.exec(html)?.[1];
    expect(script).toBeDefined();
    const bundle = await fetch(`${served.url}${script}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(10_000);
    expect(served.stderr()).not.toContain('the web console is not built');
    served.child.kill('SIGTERM');
    expect(await served.exited).toEqual({ code: 0, signal: null });
  });
});
