import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { JobEvent, JobSummary } from '@octo/core';

const execFileAsync = promisify(execFile);

/** The workspace root (where `apps/cli` lives). */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI's entry point (`apps/cli/bin/octo.mjs`), for tests that run it by other means. */
export const OCTO_BIN = fileURLToPath(new URL('../../../apps/cli/bin/octo.mjs', import.meta.url));
// What bin/report-max-rss.mjs writes at exit: a blank line, then the figure.
const RSS_LINE = /\nOCTO_MAX_RSS_KIB=(\d+)\n/;
const RSS_REPORTER = fileURLToPath(new URL('./bin/report-max-rss.mjs', import.meta.url));

/** What one `octo` run in a child process produced. */
export interface OctoCliRun {
  readonly code: number | null;
  /** The signal that killed the child, when it did not exit by itself. */
  readonly killedBy: NodeJS.Signals | null;
  readonly stdout: string;
  /** What the child wrote on stderr (without the line that reports its peak RSS). */
  readonly stderr: string;
  /** Parsed NDJSON events (with `--json`). */
  readonly events: JobEvent[];
  /** The summaries of `job.finished` events. */
  readonly summaries: JobSummary[];
  /** Peak resident memory of the child, in bytes (`NaN` when not measured). */
  readonly maxRssBytes: number;
  /** Milliseconds from the first signal sent to the child's exit; `undefined` when no signal was sent. */
  readonly msFromSignalToExit: number | undefined;
  /** How many signals were sent. */
  readonly signalsSent: number;
}

/** Options of {@link runOctoCli}. */
export interface OctoCliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Another entry point (a bundle from {@link buildOctoCliBundle}). */
  readonly bin?: string;
  /** Measure the child's peak RSS (a line on its stderr at exit); default true. */
  readonly measureRss?: boolean;
  /**
   * Sends `signal` (default SIGTERM) once `when(stdout, stderr)` is first true (checked on every
   * output chunk and every 50 ms), then once more after `repeatAfterMs` if given.
   */
  readonly signal?: {
    readonly when: (stdout: string, stderr: string) => boolean;
    readonly signal?: NodeJS.Signals;
    readonly repeatAfterMs?: number;
  };
  /** Called with each chunk of stdout as it arrives, and the child (to act on what it printed). */
  readonly onStdout?: (chunk: string, child: ChildProcess) => void;
  /** The child is killed with SIGKILL after this long, so a hang fails the test instead of stalling it; default 120 s. */
  readonly killAfterMs?: number;
}

/**
 * Runs the real CLI (`apps/cli/bin/octo.mjs`) in a child process without a TTY, like a user
 * would: its output, its events, its peak RSS measured from inside (`process.resourceUsage().maxRSS`
 * at exit), and, when asked, signals sent to it on a condition with the time they took to end it.
 */
export async function runOctoCli(args: readonly string[], options: OctoCliOptions = {}): Promise<OctoCliRun> {
  const measure = options.measureRss ?? true;
  const child = spawn(process.execPath, [...(measure ? ['--import', RSS_REPORTER] : []), options.bin ?? OCTO_BIN, ...args], {
    cwd: options.cwd ?? WORKSPACE_ROOT,
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalledAt: number | undefined;
  let signalsSent = 0;
  let repeat: NodeJS.Timeout | undefined;
  const signalling = options.signal;
  const send = () => {
    signalsSent += 1;
    child.kill(signalling?.signal ?? 'SIGTERM');
  };
  const check = () => {
    if (!signalling || signalledAt !== undefined || !signalling.when(stdout, stderr)) return;
    signalledAt = Date.now();
    send();
    if (signalling.repeatAfterMs !== undefined) repeat = setTimeout(send, signalling.repeatAfterMs);
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(chunk, child);
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    check();
  });
  const poll = signalling ? setInterval(check, 50) : undefined;
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
  const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve([exitCode, signal]));
  });
  clearTimeout(killer);
  clearInterval(poll);
  clearTimeout(repeat);
  const msFromSignalToExit = signalledAt === undefined ? undefined : Date.now() - signalledAt;
  const events: JobEvent[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as JobEvent);
    } catch {
      // Not an event line.
    }
  }
  const rss = RSS_LINE.exec(stderr);
  return {
    code,
    killedBy,
    stdout,
    stderr: stderr.replace(RSS_LINE, ''),
    events,
    summaries: events.flatMap((event) => (event.type === 'job.finished' ? [event.summary] : [])),
    maxRssBytes: rss ? Number(rss[1]) * 1024 : Number.NaN,
    msFromSignalToExit,
    signalsSent,
  };
}

/**
 * Bundles the CLI with `apps/cli/build.mjs` itself (what `nx build cli` runs: the entry and the
 * chunks each command loads), into a folder of its own under the workspace's ignored `tmp/`, and
 * returns the entry's path: what a deployment runs, without tsx compiling at start.
 * {@link removeOctoCliBundle} removes it.
 */
export async function buildOctoCliBundle(): Promise<string> {
  const parent = path.join(WORKSPACE_ROOT, 'tmp', 'octo-testing');
  await mkdir(parent, { recursive: true });
  const outdir = path.join(await mkdtemp(path.join(parent, `octo-${process.pid}-`)), 'dist');
  await execFileAsync(process.execPath, [path.join(WORKSPACE_ROOT, 'apps/cli/build.mjs'), '--outdir', outdir], { cwd: WORKSPACE_ROOT });
  return path.join(outdir, 'octo.mjs');
}

/** Removes a bundle {@link buildOctoCliBundle} made: its entry, its chunks and its compile cache. */
export async function removeOctoCliBundle(bundle: string): Promise<void> {
  await rm(path.dirname(path.dirname(bundle)), { recursive: true, force: true });
}
