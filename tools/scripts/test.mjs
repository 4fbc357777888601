// `npm test`: installs the test prerequisites when missing, then runs every project's tests
// through Nx, and ends with what failed (repeated, so the tail of a long CI log names it) and
// one line that totals what every project's runner reported.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

const setup = spawnSync('bash', ['tools/scripts/setup-test-deps.sh'], { cwd: root, stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);

const child = spawn('npx', ['nx', 'run-many', '-t', 'test', '--outputStyle=stream', ...process.argv.slice(2)], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const totals = { passed: 0, failed: 0, skipped: 0 };
/** Failed test names and the first lines of each failure's error, as vitest printed them. */
const failures = [];
let errorLinesLeft = 0;
let pending = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk.toString('utf8');
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) count(line);
});
child.on('close', (code) => {
  count(pending);
  if (failures.length > 0) process.stdout.write(`\nWhat failed:\n${failures.slice(0, 200).join('\n')}\n`);
  process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
  process.exit(code ?? 1);
});

/** Adds up vitest's closing `Tests  1 failed | 7 passed (8)` line of each project. */
function count(line) {
  const plain = line.replace(/\u001b\[[0-9;]*m/g, '');
  noteFailure(plain);
  const match = /^\S*\s*Tests\s+(.*)\(\d+\)\s*$/.exec(plain);
  if (!match) return;
  for (const [, n, what] of match[1].matchAll(/(\d+) (passed|failed|skipped)/g)) totals[what] += Number(n);
}

/** Keeps `FAIL`/`×` lines and the dozen lines after each `FAIL` heading (the assertion and where). */
function noteFailure(plain) {
  const project = /^(\S+):\s/.exec(plain)?.[1] ?? '';
  const text = plain.replace(/^\S+:\s/, '');
  if (/^\s*(FAIL|×)\s/.test(text)) {
    failures.push(`${project} ${text.trim()}`);
    if (/^\s*FAIL\s/.test(text)) errorLinesLeft = 12;
  } else if (errorLinesLeft > 0 && text.trim() !== '') {
    failures.push(`    ${text.trim()}`);
    errorLinesLeft -= 1;
  }
}
