import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobEvent, JobSummary } from '@octo/core';

/** The workspace root (where `apps/cli` lives). */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const OCTO_BIN = fileURLToPath(new URL('../../../apps/cli/bin/octo.mjs', import.meta.url));
const RSS_REPORTER = fileURLToPath(new URL('./bin/report-max-rss.mjs', import.meta.url));

/** What one `octo` run in a child process produced. */
export interface OctoCliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Parsed NDJSON events (with `--json`). */
  readonly events: JobEvent[];
  /** The summaries of `job.finished` events. */
  readonly summaries: JobSummary[];
  /** Peak resident memory of the child, in bytes. */
  readonly maxRssBytes: number;
}

/**
 * Runs the real CLI (`apps/cli/bin/octo.mjs`) in a child process, with its peak RSS
 * measured from inside (`process.resourceUsage().maxRSS` at exit).
 */
export async function runOctoCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<OctoCliRun> {
  const child = spawn(process.execPath, ['--import', RSS_REPORTER, OCTO_BIN, ...args], {
    cwd: options.cwd ?? WORKSPACE_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const events: JobEvent[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as JobEvent);
    } catch {
      // Not an event line.
    }
  }
  const rss = /OCTO_MAX_RSS_KIB=(\d+)/.exec(stderr);
  return {
    code,
    stdout,
    stderr,
    events,
    summaries: events.flatMap((event) => (event.type === 'job.finished' ? [event.summary] : [])),
    maxRssBytes: rss ? Number(rss[1]) * 1024 : Number.NaN,
  };
}
