import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTempWorkspace, deterministicBytes, writeEncryptedGzip, type TempWorkspace } from '../src/testing/index.js';

const PROBE = fileURLToPath(new URL('./fixtures/sync-probe.ts', import.meta.url));
const MiB = 1024 * 1024;
const workspaces: TempWorkspace[] = [];
afterAll(async () => Promise.all(workspaces.map((w) => w.cleanup())));

async function probe(size: number): Promise<{ maxRssMiB: number; status: string; bytesOut: number; seconds: number }> {
  const w = await createTempWorkspace({ secrets: { 'pass.txt': 'bench' }, providerConfig: { decryption: { passphrase: 'file:pass.txt' } } });
  workspaces.push(w);
  await writeEncryptedGzip(path.join(w.dropDir, 'big.csv.gz.gpg'), size, 'bench');
  const out = execFileSync(process.execPath, ['--import', 'tsx', PROBE, w.configFile], { encoding: 'utf8', maxBuffer: 16 * MiB });
  const result = JSON.parse(out.trim().split('\n').at(-1)!) as { maxRssMiB: number; status: string; bytesOut: number; seconds: number };
  // The landed object is the exact plaintext.
  const digest = createHash('sha256');
  for await (const chunk of createReadStream(path.join(w.bucketDir, 'data/csv/plain/big.csv'))) digest.update(chunk as Buffer);
  const expected = createHash('sha256');
  for await (const chunk of deterministicBytes(size)) expected.update(chunk as Buffer);
  expect(digest.digest('hex')).toBe(expected.digest('hex'));
  await rm(w.bucketDir, { recursive: true, force: true });
  return result;
}

describe('memory on the embedded default', () => {
  it('should not grow with file size: decrypt + gunzip + store of 16 MiB and 384 MiB peak at about the same RSS', async () => {
    const small = await probe(16 * MiB);
    const large = await probe(384 * MiB);
    process.stdout.write(`peak RSS: 16 MiB file ${small.maxRssMiB.toFixed(0)} MiB, 384 MiB file ${large.maxRssMiB.toFixed(0)} MiB (${(384 / large.seconds).toFixed(0)} MiB/s)\n`);
    expect(small.status).toBe('succeeded');
    expect(large.status).toBe('succeeded');
    expect(large.bytesOut).toBe(384 * MiB);
    // A stage that buffered the whole file would add at least 384 MiB.
    expect(large.maxRssMiB - small.maxRssMiB).toBeLessThan(96);
    expect(large.maxRssMiB).toBeLessThan(300);
  }, 300_000);
});
