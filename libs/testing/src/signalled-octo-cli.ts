import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WORKSPACE_ROOT } from './octo-cli.js';

const OCTO_BIN = fileURLToPath(new URL('../../../apps/cli/bin/octo.mjs', import.meta.url));

/** One `octo` run that was sent signals, with the times that matter. */
export interface SignalledOctoCliRun {
  readonly code: number | null;
  /** The signal that killed the child, when it did not exit by itself. */
  readonly killedBy: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the first signal sent to the child's exit; `undefined` when no signal was sent. */
  readonly msFromSignalToExit: number | undefined;
  /** How many signals were sent. */
  readonly signalsSent: number;
}

/**
 * Runs the real CLI in a child process and sends it `signal` once `when(stdout, stderr)` is
 * first true (checked on every output chunk and every 50 ms), then once more after
 * `repeatAfterMs` if given. The
 * child is killed with SIGKILL after `killAfterMs` so a hang fails the test instead of stalling it.
 */
export async function runOctoCliWithSignal(
  args: readonly string[],
  options: {
    readonly when: (stdout: string, stderr: string) => boolean;
    readonly signal?: NodeJS.Signals;
    readonly repeatAfterMs?: number;
    readonly killAfterMs?: number;
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
  },
): Promise<SignalledOctoCliRun> {
  const child = spawn(process.execPath, [OCTO_BIN, ...args], {
    cwd: options.cwd ?? WORKSPACE_ROOT,
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalledAt: number | undefined;
  let signalsSent = 0;
  let repeat: NodeJS.Timeout | undefined;
  const send = () => {
    signalsSent += 1;
    child.kill(options.signal ?? 'SIGTERM');
  };
  const check = () => {
    if (signalledAt !== undefined || !options.when(stdout, stderr)) return;
    signalledAt = Date.now();
    send();
    if (options.repeatAfterMs !== undefined) repeat = setTimeout(send, options.repeatAfterMs);
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    check();
  });
  const poll = setInterval(check, 50);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 120_000);
  const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => resolve([exitCode, signal]));
  });
  clearTimeout(killer);
  clearInterval(poll);
  clearTimeout(repeat);
  return { code, killedBy, stdout, stderr, msFromSignalToExit: signalledAt === undefined ? undefined : Date.now() - signalledAt, signalsSent };
}
