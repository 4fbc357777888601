import path from 'node:path';
import type { WaitingFile } from '../ports/job-events.js';
import type { RemoteFile } from '../ports/remote-source.js';
import type { ReadyConfig } from './ready-config-schema.js';

/** What {@link holdForReady} lets through now, and what waits for which marker. */
export interface Readiness {
  readonly ready: RemoteFile[];
  readonly waiting: Array<RemoteFile & { readonly for: string; readonly reason?: string }>;
}

/**
 * Discovery's ready-marker step: with `marker: "{name}.done"`, a data file is taken only when
 * `<its folder>/<its name>.done` is listed (and carries it as `markerPath`, to follow it on
 * `afterIngest`); with `batch: "READY"`, every file of a folder waits until that folder holds
 * `READY`. Markers are never data: every name the rule makes is dropped from the files.
 */
export function holdForReady(files: readonly RemoteFile[], rule: Exclude<ReadyConfig, { manifest: string }> | undefined): Readiness {
  if (!rule) return { ready: [...files], waiting: [] };
  const listed = new Set(files.map((file) => file.path));
  const folderOf = (file: string) => path.posix.dirname(file);
  const inFolder = (folder: string, name: string) => (folder === '.' ? name : `${folder}/${name}`);
  const ready: RemoteFile[] = [];
  const waiting: Array<RemoteFile & { for: string }> = [];
  if ('batch' in rule) {
    for (const file of files) {
      if (path.posix.basename(file.path) === rule.batch) continue;
      const marker = inFolder(folderOf(file.path), rule.batch);
      if (listed.has(marker)) ready.push(file);
      else waiting.push({ ...file, for: marker });
    }
    return { ready, waiting };
  }
  const [before, after] = rule.marker.split('{name}') as [string, string];
  const isMarker = (name: string) => name.length > before.length + after.length && name.startsWith(before) && name.endsWith(after);
  for (const file of files) {
    const name = path.posix.basename(file.path);
    if (isMarker(name)) continue;
    const marker = inFolder(folderOf(file.path), rule.marker.replace('{name}', name));
    if (listed.has(marker)) ready.push({ ...file, markerPath: marker });
    else waiting.push({ ...file, for: marker });
  }
  return { ready, waiting };
}

/** The waiting files as a job result lists them. */
export function waitingFiles(waiting: Readiness['waiting']): WaitingFile[] {
  return waiting.map((file) => ({ path: file.path, for: file.for, ...(file.reason ? { reason: file.reason } : {}) }));
}
