import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
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
export async function runOctoCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; bin?: string } = {}): Promise<OctoCliRun> {
  const child = spawn(process.execPath, ['--import', RSS_REPORTER, options.bin ?? OCTO_BIN, ...args], {
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

/**
 * Bundles the CLI the way `apps/cli/build.mjs` (`nx build cli`) does, into the workspace's
 * ignored `tmp/` folder (npm dependencies stay external and resolve from the workspace), and
 * returns the bundle's path: what a deployment runs, without tsx compiling at start.
 */
export async function buildOctoCliBundle(): Promise<string> {
  const outDir = path.join(WORKSPACE_ROOT, 'tmp', 'octo-testing');
  await mkdir(outDir, { recursive: true });
  const outfile = path.join(outDir, `octo-${process.pid}.mjs`);
  const rootPackage = JSON.parse(readFileSync(path.join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  await build({
    entryPoints: [path.join(WORKSPACE_ROOT, 'apps/cli/bin/entry.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    tsconfig: path.join(WORKSPACE_ROOT, 'tsconfig.base.json'),
    external: Object.keys(rootPackage.dependencies ?? {}),
    banner: { js: "import { createRequire as __octoRequire } from 'node:module';\nconst require = __octoRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return outfile;
}
