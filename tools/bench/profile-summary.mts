// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof DIR`): the top frames by
// self time, and self time per package, as shares of the samples.
// Usage: npx tsx tools/bench/profile-summary.mts FILE.cpuprofile [top=25]
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.mts FILE.cpuprofile [top]');
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
const packages = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, index) => {
  const micros = profile.timeDeltas[index] ?? 0;
  const frame = byId.get(id)?.callFrame;
  if (!frame) return;
  total += micros;
  const where = frame.url ? `${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(libs|apps|tmp)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
  self.set(name, (self.get(name) ?? 0) + micros);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1] ?? (frame.url.startsWith('node:') ? 'node internals' : frame.url ? 'octo' : frame.functionName || '(native)');
  packages.set(pkg, (packages.get(pkg) ?? 0) + micros);
});
const share = (micros: number) => `${((100 * micros) / total).toFixed(1).padStart(5)}%`;
const top = Number(topArg ?? 25);
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nself time by frame:`);
for (const [name, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${share(micros)}  ${name}`);
console.log('\nself time by package:');
for (const [name, micros] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${share(micros)}  ${name}`);
