import type { FileContext } from '../ports/file-context.js';
import type { Router } from '../ports/router.js';
import { planLayers } from '../rules/layers.js';

// Entry names standing for an archive's unknown entries, one per output type the routers know.
const SAMPLE_ENTRIES = ['*.csv', '*.pdf', '*.xml', '*'];

/** The key a dry run shows for a file: its output's key, or for an archive the pattern its entries' keys match. */
export interface PlannedKey {
  readonly layers: ReturnType<typeof planLayers>;
  readonly key: string;
}

/**
 * Asks the provider's own router. A plain file's output name is known before it is read, so its
 * key is the one the run will use. An archive's entries are known only once unpacked: the router
 * routes a sample entry of each type, and the keys are merged segment by segment, each segment
 * where they differ becoming `*`: for the default layout, `data/`, a star for the type, the folder, a star for the name.
 */
export function plannedKey(router: Router, context: FileContext): PlannedKey {
  const layers = planLayers(context.file.path.split('/').pop() ?? context.file.path);
  if (!layers.archive) return { layers, key: router.route({ name: layers.outputName }, context) };
  return { layers, key: mergeKeys(SAMPLE_ENTRIES.map((name) => router.route({ name }, context))) };
}

/** The segments all keys share, `*` where they differ; from the first segment their depths disagree on, `**`. */
function mergeKeys(keys: readonly string[]): string {
  const split = keys.map((key) => key.split('/'));
  const length = Math.min(...split.map((parts) => parts.length));
  const sameDepth = split.every((parts) => parts.length === length);
  const merged: string[] = [];
  for (let index = 0; index < length; index += 1) {
    const values = new Set(split.map((parts) => parts[index]));
    if (!sameDepth && index === length - 1) break;
    merged.push(values.size === 1 ? (split[0]?.[index] ?? '*') : '*');
  }
  if (!sameDepth) merged.push('**');
  return merged.join('/');
}
