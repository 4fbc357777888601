import { mkdir, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { processAlive } from '../util/process-alive.js';
import { removeOnExit } from '../util/exit-cleanup.js';

/** Who made a per-run folder: read back from its name. */
export interface RunFolderOwner {
  readonly host: string;
  readonly pid: number;
  readonly runId: string;
}

/** Folders of an older version (no owner in the name) older than this are removed by age. */
const LEGACY_MAX_AGE_MS = 60 * 60 * 1000;

/** `<host>--<pid>--<runId>`, the host reduced to characters every filesystem accepts. */
export function runFolderName(owner: RunFolderOwner): string {
  return `${safeHost(owner.host)}--${owner.pid}--${owner.runId}`;
}

/** The owner a folder name encodes, or `undefined` for names that are not run folders. */
export function parseRunFolderName(name: string): RunFolderOwner | undefined {
  const [, host, pid, runId] = /^(.+)--(\d+)--([A-Za-z0-9-]+)$/.exec(name) ?? [];
  return host && pid && runId ? { host, pid: Number(pid), runId } : undefined;
}

/** The owner of folders this process makes for `runId`. */
export function currentRunOwner(runId: string): RunFolderOwner {
  return { host: hostname(), pid: process.pid, runId };
}

/** True when the owner provably runs no more: same host, pid gone. Another host's folder is never judged gone. */
export function runOwnerGone(owner: RunFolderOwner): boolean {
  return safeHost(owner.host) === safeHost(hostname()) && !processAlive(owner.pid);
}

/**
 * A run's own temporary folder, `<parent>/<host>--<pid>--<runId>`: every temporary file of the
 * run (zip spools of decrypted archives) lives under it. It is removed when the process exits
 * (signals included), and a run that was killed outright leaves it for the next run's
 * {@link sweepRunFolders}.
 */
export class RunFolder {
  readonly path: string;

  constructor(parent: string, runId: string) {
    this.path = path.join(parent, runFolderName(currentRunOwner(runId)));
  }

  /** Creates the folder (if needed) and a fresh sub-folder for one temporary thing; `release` removes it. */
  async scratch(prefix: string): Promise<{ dir: string; release: () => Promise<void> }> {
    await mkdir(this.path, { recursive: true });
    const dir = path.join(this.path, `${prefix}${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`);
    await mkdir(dir, { mode: 0o700 });
    const forget = removeOnExit(dir);
    return {
      dir,
      release: async () => {
        await rm(dir, { recursive: true, force: true });
        forget();
        // The run folder goes with its last scratch; a concurrent scratch keeps it (rmdir refuses a non-empty folder).
        await rmdir(this.path).catch(() => undefined);
      },
    };
  }
}

/**
 * Removes the run folders under `parent` whose owner is gone (same host, dead pid), and
 * folders of an older version that carry no owner once they are an hour old. Returns the
 * names it removed.
 */
export async function sweepRunFolders(parent: string): Promise<string[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const owner = parseRunFolderName(name);
    let gone = owner ? runOwnerGone(owner) : false;
    if (!owner) {
      const info = await stat(path.join(parent, name)).catch(() => undefined);
      gone = info !== undefined && /^zip-/.test(name) && Date.now() - info.mtimeMs > LEGACY_MAX_AGE_MS;
    }
    if (gone) {
      await rm(path.join(parent, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

function safeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]/g, '_').replace(/-{2,}/g, '-');
}
