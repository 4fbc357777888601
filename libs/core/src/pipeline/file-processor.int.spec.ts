import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../adapters/local/local-object-store.js';
import type { JobSummary } from '../ports/job-events.js';
import { listBucketFiles } from '../testing/files.js';
import { MeteredStore } from '../testing/metered-store.js';
import { createTempWorkspace, overridingProvider, type TempWorkspace } from '../testing/temp-workspace.js';
import { FileProcessor } from './file-processor.js';

const MiB = 1024 * 1024;
let home: string;
/** 64 MiB of zeros, bzip2-compressed inside the OpenPGP message by real GnuPG: a few hundred bytes. */
let bzip2Bomb: Buffer;
const workspaces: TempWorkspace[] = [];

beforeAll(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'octo-gnupg-'));
  bzip2Bomb = execFileSync(
    'gpg',
    ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', 'open sesame', '--symmetric', '--compress-algo', 'bzip2', '--output', '-'],
    { input: Buffer.alloc(64 * MiB), maxBuffer: 16 * MiB },
  );
}, 120_000);

afterAll(async () => {
  execFileSync('gpgconf', ['--homedir', home, '--kill', 'all']);
  await rm(home, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(workspaces.splice(0).map((w) => w.cleanup()));
});

async function runWith(limits: Record<string, number>): Promise<{ summary: JobSummary; stagedBytes: number; bucket: string[] }> {
  const w = await createTempWorkspace({ secrets: { 'pass.txt': 'open sesame' }, providerConfig: { decryption: { passphrase: 'file:pass.txt' } }, config: { limits } });
  workspaces.push(w);
  await writeFile(path.join(w.dropDir, 'statements.csv.gpg'), bzip2Bomb);
  const store = new MeteredStore(new LocalObjectStore(w.bucketDir));
  const summary = await (await (await w.runtime([overridingProvider('plain', { objectStore: store })])).jobs.start('plain')).done;
  return { summary, stagedBytes: store.stagedBytes, bucket: await listBucketFiles(w.bucketDir) };
}

describe(`${FileProcessor.name} with OpenPGP messages from GnuPG`, () => {
  it('should refuse a bzip2 bomb inside the message by its ratio, having staged a few MiB at most', async () => {
    expect(bzip2Bomb.length).toBeLessThan(4096);
    const { summary, stagedBytes, bucket } = await runWith({});
    expect(summary.files).toMatchObject([
      {
        path: 'statements.csv.gpg',
        status: 'failed',
        kind: 'unsafe',
        reason: 'statements.csv.gpg (decrypted) expands more than 1000x (limits.maxCompressionRatio): refusing a likely decompression bomb',
      },
    ]);
    expect(stagedBytes).toBeLessThan(4 * MiB);
    expect(bucket).toEqual([]);
  });

  it('should refuse it by the budget when the ratio allows it, staging no more than the budget', async () => {
    const { summary, stagedBytes, bucket } = await runWith({ maxCompressionRatio: 1e9, maxUnpackedBytes: 16 * MiB });
    expect(summary.files).toMatchObject([
      {
        status: 'failed',
        kind: 'unsafe',
        reason: 'statements.csv.gpg (decrypted) unpacks to more than 16777216 bytes (limits.maxUnpackedBytes); raise the limit if this file is genuine',
      },
    ]);
    expect(stagedBytes).toBeLessThanOrEqual(16 * MiB);
    expect(bucket).toEqual([]);
  });
});
