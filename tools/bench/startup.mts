// Start-up of the `octo` command, as a user runs it: `octo --help` (target well under 0.5 s) and
// `octo providers` (under 1 s), through bin/octo.mjs on the bundled build, measured from outside.
// Usage: npm run bench:startup [-- --runs N]; `npm run bench` runs it after the pipeline cases.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, shellQuote } from './measure.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ args: process.argv.slice(2), options: { runs: { type: 'string', default: '10' } }, strict: false });
const runs = Math.max(1, Number(values.runs) || 10);

const build = spawnSync(process.execPath, ['build.mjs'], { cwd: path.join(root, 'apps/cli'), stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) throw new Error('building the CLI bundle failed');

const octo = `${shellQuote(process.execPath)} ${shellQuote(path.join(root, 'apps/cli/bin/octo.mjs'))}`;
const cases = [
  { id: 'octo --help', command: `${octo} --help`, targetSeconds: 0.5 },
  { id: 'octo providers', command: `${octo} providers --config ${shellQuote(path.join(root, 'octo.config.yaml'))}`, targetSeconds: 1 },
];

console.log(`\nstart-up (${runs} runs each, median; wall seconds depend on what else the machine runs, CPU seconds much less)`);
console.log(`${'case'.padEnd(16)} ${'wall s'.padStart(7)} ${'cpu s'.padStart(7)} ${'target'.padStart(7)}  verdict`);
let missed = 0;
for (const item of cases) {
  const samples = [];
  for (let i = 0; i < runs; i += 1) {
    const measured = await measure(item.command, { cwd: root });
    if (measured.code !== 0) throw new Error(`${item.id} exited with ${measured.code}:\n${measured.stderrTail}`);
    samples.push(measured);
  }
  const wall = median(samples.map((s) => s.seconds));
  const cpu = median(samples.map((s) => s.cpuSeconds));
  const met = wall < item.targetSeconds;
  if (!met) missed += 1;
  console.log(`${item.id.padEnd(16)} ${wall.toFixed(3).padStart(7)} ${cpu.toFixed(3).padStart(7)} ${`< ${item.targetSeconds}`.padStart(7)}  ${met ? 'met' : 'MISSED'}`);
}
if (missed > 0) process.exitCode = 1;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
