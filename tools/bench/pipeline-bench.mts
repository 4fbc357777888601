// Throughput and peak memory of the embedded-default pipeline (decrypt + gunzip + store) for
// several file sizes, each run in a fresh process, printed side by side.
// Usage: npm run bench [-- 16 128 512]   (sizes in MiB)
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempWorkspace, writeEncryptedGzip } from '@octo/core/testing';

const MiB = 1024 * 1024;
const probe = fileURLToPath(new URL('../../libs/core/test/fixtures/sync-probe.ts', import.meta.url));
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const rows: string[][] = [];

for (const size of sizes.length ? sizes : [16, 128, 512]) {
  const w = await createTempWorkspace({ secrets: { 'pass.txt': 'bench' }, providerConfig: { decryption: { passphrase: 'file:pass.txt' } } });
  try {
    await writeEncryptedGzip(path.join(w.dropDir, 'bench.csv.gz.gpg'), size * MiB, 'bench');
    const out = execFileSync(process.execPath, ['--import', 'tsx', probe, w.configFile], { encoding: 'utf8' });
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { status: string; seconds: number; maxRssMiB: number };
    rows.push([`${size} MiB`, result.status, result.seconds.toFixed(2), (size / result.seconds).toFixed(1), result.maxRssMiB.toFixed(0)]);
  } finally {
    await w.cleanup();
  }
}

const header = ['plaintext', 'status', 'seconds', 'MiB/s', 'peak RSS MiB'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
console.log('pipeline: OpenPGP (passphrase) + gzip -> local bucket, one file per run\n');
console.log(line(header));
for (const row of rows) console.log(line(row));
