import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOctoConfig } from './config-files.js';
import { runOctoCli } from './octo-cli.js';

const sha = (bytes: string) => createHash('sha256').update(bytes).digest('hex');

// The audit trail, as an auditor asks for it, read from the bucket's ledger (the API's side: libs/server/test/ledger.int.spec.ts).
describe('octo ledger', () => {
  let dir: string;
  let config: string;
  const files = { 'in/statements_20261101.csv': 'id,amount\n1,10\n', 'in/statements_20261102.csv': 'id,amount\n2,20\n', 'in/positions_20261102.csv': 'isin,qty\nX,1\n' };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'octo-ledger-'));
    for (const [name, body] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, 'drop', name)), { recursive: true });
      await writeFile(path.join(dir, 'drop', name), body);
    }
    config = await writeOctoConfig(dir, {
      store: `file://${path.join(dir, 'buckets')}`,
      workDir: path.join(dir, 'work'),
      providers: { example: { plugin: 'example', source: `file://${path.join(dir, 'drop')}`, bucket: 'ledger-bucket', settings: { seed: false } } },
    });
    const sync = await runOctoCli(['sync', 'example', '--config', config]);
    expect(sync.code).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('should list every ingested file with its size, sha256, keys and job, newest first, as JSON', async () => {
    const run = await runOctoCli(['ledger', 'example', '--json', '--config', config]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ provider: 'example', matched: 3, truncated: false });
    const byPath = new Map(result.records.map((r: { path: string }) => [r.path, r]));
    for (const [name, body] of Object.entries(files)) {
      expect(byPath.get(name)).toMatchObject({ path: name, size: body.length, sha256: sha(body), outputs: [{ key: expect.stringMatching(/^data\/csv\/example\//), sha256: sha(body) }] });
    }
    const times = result.records.map((r: { ingestedAt: string }) => r.ingestedAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(new Set(result.records.map((r: { jobId: string }) => r.jobId)).size).toBe(1);
  });

  it('should filter by path glob and by time, and print a table by default', async () => {
    const glob = JSON.parse((await runOctoCli(['ledger', 'example', '--json', '--path', 'in/statements_*', '--config', config])).stdout);
    expect(glob.records.map((r: { path: string }) => r.path).sort()).toEqual(['in/statements_20261101.csv', 'in/statements_20261102.csv']);
    const future = await runOctoCli(['ledger', 'example', '--since', '2099-01-01', '--config', config]);
    expect(future.stdout).toBe('example: no ledger record matches\n');
    const recent = await runOctoCli(['ledger', 'example', '--since', '1h', '--limit', '2', '--config', config]);
    expect(recent.code).toBe(0);
    expect(recent.stdout.split('\n')[0]).toMatch(/^ingested\s+source\s+size\s+sha256\s+landed at\s+job$/);
    expect(recent.stdout).toContain('example: the newest 2 of 3 matching records; narrow with --since, --until or --path, or raise --limit');
  });

  it('should refuse a time it cannot read, before reading anything, with exit 2', async () => {
    const run = await runOctoCli(['ledger', 'example', '--since', 'yesterday', '--config', config]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('octo: "yesterday" is not a time: give an ISO date (2026-11-01), a date-time (2026-11-01T06:00:00Z) or a duration back from now (90m, 36h, 7d)');
    expect(run.stdout).toBe('');
  });
});
