import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `octo` entry point, run as a subprocess like a user would. */
export const OCTO_BIN = fileURLToPath(new URL('../bin/octo.mjs', import.meta.url));

export interface OctoResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `octo args...` in `cwd` without a TTY and collects its output. */
export function runOcto(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; onStdout?: (chunk: string, child: ChildProcess) => void }): Promise<OctoResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OCTO_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
