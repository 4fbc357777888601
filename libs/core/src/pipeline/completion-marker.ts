import { createHash } from 'node:crypto';
import type { SupersededRecord } from '../ports/ledger.js';
import type { ObjectStore, StagedObject } from '../ports/object-store.js';
import type { RemoteFile } from '../ports/remote-source.js';

/** Where completion markers live in a provider's bucket: `_octo/complete/<provider>/<sha256(source path)>.json`. */
const COMPLETE_PREFIX = '_octo/complete/';

/** The object tag (S3) that carries the source file's sha256 on every output. */
const SOURCE_SHA256_TAG = 'octo-source-sha256';

/**
 * The body of a completion marker: written after every output of a source is visible (and
 * tagged), just before its ledger record. A reader that waits for it sees all the outputs of
 * that delivery, never some of them.
 */
export interface CompletionMarkerBody {
  readonly version: 1;
  readonly provider: string;
  readonly source: { readonly path: string; readonly size: number; readonly mtimeMs: number; readonly sha256: string };
  /** Every output of this delivery, with the size and sha256 of its bytes. */
  readonly outputs: readonly StagedObject[];
  readonly jobId: string;
  /** ISO time the marker was written. */
  readonly completedAt: string;
  readonly supersedes?: SupersededRecord;
}

/** The tags every output of a source carries: its sha256 (given to the commit, so a store may set them at once). */
export function sourceTags(sha256: string): Record<string, string> {
  return { [SOURCE_SHA256_TAG]: sha256 };
}

/** One marker per source path: a resend of the same path rewrites it with its own outputs. */
export function completionMarkerKey(provider: string, sourcePath: string): string {
  return `${COMPLETE_PREFIX}${provider}/${createHash('sha256').update(sourcePath).digest('hex')}.json`;
}

/**
 * What follows a source's commit, before its ledger record: the source sha256 tag on every
 * output (where the store has tags) that the commit did not tag already (`tagged`, see
 * `Staging.tagged`), then the completion marker. A run that rolls a dead run's commit
 * forward calls this too, so a marker always means every output is visible and tagged.
 */
export async function markSourceComplete(
  store: ObjectStore,
  body: Omit<CompletionMarkerBody, 'version' | 'completedAt' | 'source'> & { readonly file: Pick<RemoteFile, 'path' | 'size' | 'mtimeMs'>; readonly sha256: string },
  tagged: readonly string[] = [],
): Promise<void> {
  const tag = store.tag?.bind(store);
  if (tag) {
    const done = new Set(tagged);
    const untagged = body.outputs.filter((output) => !done.has(output.key));
    // One small request per output, 8 at a time (a tar of hundreds should not cost a round trip apiece).
    for (let index = 0; index < untagged.length; index += 8) {
      await Promise.all(untagged.slice(index, index + 8).map((output) => tag(output.key, sourceTags(body.sha256))));
    }
  }
  await writeCompletionMarker(store, body);
}

/** Writes the completion marker of one delivery. */
async function writeCompletionMarker(
  store: ObjectStore,
  body: Omit<CompletionMarkerBody, 'version' | 'completedAt' | 'source'> & { readonly file: Pick<RemoteFile, 'path' | 'size' | 'mtimeMs'>; readonly sha256: string },
): Promise<void> {
  const { file, sha256, ...rest } = body;
  const marker: CompletionMarkerBody = {
    version: 1,
    provider: rest.provider,
    source: { path: file.path, size: file.size, mtimeMs: file.mtimeMs, sha256 },
    outputs: rest.outputs,
    jobId: rest.jobId,
    completedAt: new Date().toISOString(),
    ...(rest.supersedes ? { supersedes: rest.supersedes } : {}),
  };
  await store.putSmall(completionMarkerKey(rest.provider, file.path), `${JSON.stringify(marker, null, 2)}\n`, { 'content-type': 'application/json' });
}
