import type { RemoteFile, RemoteSource } from '../ports/remote-source.js';
import { pairSignatures } from './pair-signatures.js';
import { refuseNameCollisions } from './refuse-name-collisions.js';
import { holdForReady, type Readiness } from './hold-for-ready.js';
import { holdForManifest, MAX_MANIFEST_BYTES } from './hold-for-manifest.js';
import type { ReadyConfig } from './ready-config-schema.js';

/** What {@link discover} applies to a listing. */
export interface DiscoveryOptions {
  /** Files modified less than this long ago are left for the next run (`source.minAgeSeconds`). */
  readonly minAgeMs?: number;
  /** The files to take among the data files (the config's globs, then the provider's own rule). */
  readonly accepts?: (file: RemoteFile) => boolean;
  /** The provider's `ready:` rule: files whose marker is not listed wait (see {@link holdForReady}). */
  readonly ready?: ReadyConfig;
  /** Told which accepted files wait for their marker. */
  readonly onWaiting?: (waiting: Readiness['waiting']) => void;
  readonly signal?: AbortSignal;
}

/**
 * The one discovery step every source gets, whatever lists it: the source's listing, minus
 * files younger than the minimum age, in path order, with look-alike names refused (see
 * {@link refuseNameCollisions}) and every `X.sig` paired with `X` (see {@link pairSignatures}),
 * those whose ready marker is listed (see {@link holdForReady}), then the data files `accepts` takes. Source adapters only list; nothing here is theirs to repeat.
 */
export async function discover(source: RemoteSource, options: DiscoveryOptions = {}): Promise<RemoteFile[]> {
  const listed = await source.list({ signal: options.signal });
  const now = Date.now();
  const minAgeMs = options.minAgeMs ?? 0;
  // A refused entry is reported now, whatever its age: it can never be ingested.
  const settled = minAgeMs > 0 ? listed.filter((file) => file.refused !== undefined || now - file.mtimeMs >= minAgeMs) : [...listed];
  const sorted = settled.sort(byPathThenBytes);
  const paired = pairSignatures(refuseNameCollisions(sorted));
  const rule = options.ready;
  const { ready, waiting } = rule && 'manifest' in rule ? await holdForManifest(paired, rule.manifest, (file) => source.readSmall(file, MAX_MANIFEST_BYTES)) : holdForReady(paired, rule);
  const accepts = options.accepts ?? (() => true);
  options.onWaiting?.(waiting.filter(accepts));
  return ready.filter(accepts);
}

function byPathThenBytes(a: RemoteFile, b: RemoteFile): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  const [rawA, rawB] = [a.rawPath ?? '', b.rawPath ?? ''];
  return rawA === rawB ? 0 : rawA < rawB ? -1 : 1;
}
