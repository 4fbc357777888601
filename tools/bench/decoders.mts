// Octo's bzip2, xz and zstd decoding against the reference tools, on the same bytes, in one run:
// `octo sync` of one compressed CSV from a local drop into the local store (the bundled CLI, as
// deployed), against `<tool> -dc file > file` (decode to a file, as Octo lands one). Runs are
// interleaved and each figure is the median. Octo decodes .xz and .bz2 by streaming through
// the same tools (xz-utils, bzip2) and .zst with Node's zlib, so the ratio is the cost of
// Octo's pipeline around the decoder: reading, hashing, limits, staging and commit.
// Usage: npm run bench:decoders [-- --mib 256 --runs 3]
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildOctoCliBundle, removeOctoCliBundle, writeOctoConfig } from '@octo/testing';
import { csvChunks } from './datasets.mjs';
import { measure, shellQuote } from './measure.mjs';
import { compare, formatRatio, interleave, megabytesPerSecond, summarise, table, type Sample } from './stats.mjs';

const { values } = parseArgs({ args: process.argv.slice(2), options: { mib: { type: 'string', default: '256' }, runs: { type: 'string', default: '3' } }, strict: false });
const bytes = Math.max(1, Number(values.mib) || 256) * 1024 * 1024;
const runs = Math.max(1, Number(values.runs) || 3);

/** Each format: the tool that makes the file, and the one that decodes it (the peer). */
const FORMATS = [
  { ext: 'xz', compress: ['xz', '-6', '-T1', '-c'], decode: 'xz -dc -T1' },
  { ext: 'bz2', compress: ['bzip2', '-9', '-c'], decode: 'bzip2 -dc' },
  { ext: 'zst', compress: ['zstd', '-3', '-q', '-c'], decode: 'zstd -dc -q' },
] as const;

const scratch = path.join(os.tmpdir(), `octo-bench-decoders-${process.pid}`);
await rm(scratch, { recursive: true, force: true });
await removeOctoCliBundle(bundle);
const plain = path.join(scratch, 'plain.csv');
await mkdir(scratch, { recursive: true });
console.log(`decoders: generating ${bytes / 1024 / 1024} MiB of CSV and compressing it (once per run of this script)`);
await pipeline(Readable.from(csvChunks('decoders', bytes)), createWriteStream(plain));
const bundle = await buildOctoCliBundle();

const cases = [];
for (const format of FORMATS) {
  const drop = path.join(scratch, format.ext, 'drop');
  await mkdir(drop, { recursive: true });
  const file = path.join(drop, `statements_20261101.csv.${format.ext}`);
  execFileSync('bash', ['-c', `${format.compress.map(shellQuote).join(' ')} ${shellQuote(plain)} > ${shellQuote(file)}`]);
  const sourceBytes = (await stat(file)).size;
  cases.push({ id: `octo sync .csv.${format.ext}`, format, file, sourceBytes, kind: 'octo' as const });
  cases.push({ id: format.decode, format, file, sourceBytes, kind: 'peer' as const });
}

const samples = new Map<string, Sample[]>();
for (const { round, item } of interleave(cases, runs)) {
  const dir = path.join(scratch, item.format.ext);
  const out = path.join(dir, 'out');
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  let command: string;
  if (item.kind === 'octo') {
    await mkdir(path.join(dir, `run-${round}`), { recursive: true });
    const config = await writeOctoConfig(path.join(dir, `run-${round}`), {
      store: `file://${out}`,
      workDir: path.join(dir, `run-${round}`, 'work'),
      providers: { bench: { plugin: 'example', bucket: 'bench-bucket', source: `file://${path.dirname(item.file)}`, settings: { seed: false } } },
    });
    command = `exec ${shellQuote(process.execPath)} ${shellQuote(bundle)} sync bench --json --config ${shellQuote(config)}`;
  } else {
    command = `${item.format.decode} ${shellQuote(item.file)} > ${shellQuote(path.join(out, 'statements_20261101.csv'))}`;
  }
  const measured = await measure(command);
  if (measured.code !== 0) throw new Error(`${item.id} exited with ${measured.code}:\n${measured.stderrTail}`);
  const landed = await landedBytes(out);
  if (landed !== bytes) throw new Error(`${item.id} wrote ${landed} bytes, not the ${bytes} of the CSV`);
  samples.set(item.id, [...(samples.get(item.id) ?? []), measured]);
  await rm(path.join(dir, `run-${round}`), { recursive: true, force: true });
}

const rows = cases.map((item) => {
  const summary = summarise(samples.get(item.id) ?? []);
  return [item.id, `${(item.sourceBytes / 1024 / 1024).toFixed(1)}`, summary.seconds.toFixed(2), summary.cpuSeconds.toFixed(2), megabytesPerSecond(bytes, summary.seconds).toFixed(0), (summary.maxRssKiB / 1024).toFixed(0)];
});
console.log(`\n${bytes / 1024 / 1024} MiB CSV, ${runs} interleaved runs each, medians`);
console.log(table(['case', 'source MiB', 'wall s', 'cpu s', 'MB/s out', 'peak MiB'], rows));
const ratios = FORMATS.map((format) => {
  const octo = summarise(samples.get(`octo sync .csv.${format.ext}`) ?? []);
  const peer = summarise(samples.get(format.decode) ?? []);
  return [`.${format.ext}: octo vs ${format.decode}`, formatRatio(compare(octo.seconds, peer.seconds, 'faster').ratio), formatRatio(compare(octo.cpuSeconds, peer.cpuSeconds, 'lower').ratio)];
});
console.log(`\n${table(['comparison', 'faster (wall)', 'CPU ratio (octo / tool)'], ratios)}`);
await rm(scratch, { recursive: true, force: true });

/** Bytes of every file under `dir` except Octo's own records (`_octo/`). */
async function landedBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    if (name.split(path.sep).includes('_octo')) continue;
    const info = await stat(path.join(dir, name));
    if (info.isFile()) total += info.size;
  }
  return total;
}
