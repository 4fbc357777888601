import path from 'node:path';
import type { AfterIngestConfig } from './after-ingest-config-schema.js';
import type { AfterIngestResult } from '../ports/job-events.js';
import type { RemoteFile, RemoteSource } from '../ports/remote-source.js';
import { archiveCandidates } from './archive-names.js';

/**
 * Moves or deletes a source file (and its companions) on the partner's server, after its ledger
 * record is written. Never throws: whatever fails is the result's `reason`, and the file stays
 * where it is (ingested, so not taken again). A name taken in the archive gets a time suffix
 * (`onCollision: suffix`) or fails the action (`fail`); nothing is ever replaced.
 */
export async function applyAfterIngest(source: RemoteSource, file: RemoteFile, config: AfterIngestConfig, now: Date): Promise<AfterIngestResult> {
  // Its `.sig` and its ready marker go wherever the file goes.
  const companions = [file.signaturePath, file.markerPath].filter((companion): companion is string => companion !== undefined);
  if (file.rawPath !== undefined) {
    return { action: config.action, status: 'failed', reason: `${file.path}: its name is not UTF-8, so Octo leaves it on the server: ${config.action} it by hand` };
  }
  try {
    if (config.action === 'delete') {
      if (!source.remove) return unsupported(config.action, source);
      await source.remove(file.path);
      for (const companion of companions) await source.remove(companion);
      return { action: 'delete', status: 'done' };
    }
    if (!source.rename) return unsupported(config.action, source);
    let to: string | undefined;
    for (const candidate of archiveCandidates(config.to, file.path, now, config.onCollision === 'suffix')) {
      if (await source.rename(file.path, candidate)) {
        to = candidate;
        break;
      }
    }
    if (!to) {
      const taken = archiveCandidates(config.to, file.path, now, false)[0];
      const why = config.onCollision === 'fail' ? `${taken} already exists (onCollision: fail)` : `${taken} and its time-suffixed names already exist`;
      return { action: 'move', status: 'failed', reason: `${file.path} was ingested but not moved: ${why}; it stays in place and is not ingested again` };
    }
    const stuck: string[] = [];
    for (const companion of companions) {
      if (!(await source.rename(companion, companionTarget(file.path, companion, to)))) stuck.push(companion);
    }
    if (stuck.length > 0) return { action: 'move', status: 'failed', to, reason: `${file.path} was moved to ${to}, but ${stuck.join(', ')} could not follow it: a file of that name is in the archive already` };
    return { action: 'move', status: 'done', to };
  } catch (error) {
    return { action: config.action, status: 'failed', reason: `${file.path} was ingested but not ${config.action === 'move' ? 'moved' : 'deleted'}: ${(error as Error).message}; it stays in place and is not ingested again` };
  }
}

/** A companion follows its data file's new name, so `x.csv.sig` stays beside `x-<time>.csv` as `x-<time>.csv.sig`. */
export function companionTarget(from: string, companion: string, to: string): string {
  const [oldBase, newBase] = [path.posix.basename(from), path.posix.basename(to)];
  const base = path.posix.basename(companion);
  return path.posix.join(path.posix.dirname(to), base.includes(oldBase) ? base.replace(oldBase, newBase) : base);
}

function unsupported(action: AfterIngestConfig['action'], source: RemoteSource): AfterIngestResult {
  return { action, status: 'failed', reason: `the source ${source.description} cannot ${action} files; remove afterIngest from the provider's config` };
}
