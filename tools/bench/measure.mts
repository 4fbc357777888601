// Runs one command as a child process and measures it from outside: wall time here, CPU time
// and peak RSS from GNU time (the rusage of the command and every process it waited for).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Sample } from './stats.mjs';

/** What one measured command did. */
export interface Measured extends Sample {
  readonly code: number | null;
  /** The kernel's share of {@link Sample.cpuSeconds} (page faults, copies into the page cache, pipes). */
  readonly systemSeconds: number;
  /** The last lines of its stderr, for a failure message. */
  readonly stderrTail: string;
}

const TIME = '/usr/bin/time';

/**
 * Runs `command` with `bash -o pipefail -c` (so a pipeline fails if any stage does) under
 * `/usr/bin/time`, with exactly `env` (default: this process's). stdout goes to `stdoutFile` (or is discarded).
 */
export async function measure(command: string, options: { env?: NodeJS.ProcessEnv; stdoutFile?: string; cwd?: string } = {}): Promise<Measured> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'octo-bench-time-'));
  const timeFile = path.join(dir, 'time');
  const redirected = options.stdoutFile ? `{ ${command}\n} > ${shellQuote(options.stdoutFile)}` : `{ ${command}\n} > /dev/null`;
  try {
    const started = performance.now();
    const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, 'bash', '-o', 'pipefail', '-c', redirected], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    const seconds = (performance.now() - started) / 1000;
    const fields = (await readFile(timeFile, 'utf8')).trim().split('\n').at(-1)?.split(' ').map(Number) ?? [];
    const [, user = Number.NaN, system = Number.NaN, maxRssKiB = Number.NaN] = fields;
    return { code, seconds, cpuSeconds: user + system, systemSeconds: system, maxRssKiB, stderrTail: stderr.trim().split('\n').slice(-6).join('\n') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}
