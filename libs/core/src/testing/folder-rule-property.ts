import fc from 'fast-check';
import { DefaultRouter } from '../adapters/routing/default-router.js';
import { OctoError } from '../errors/octo-error.js';
import type { FileContext } from '../ports/file-context.js';
import type { FolderNamer } from '../ports/folder-namer.js';
import { hostileName, routedKeyProblem } from './name-arbitraries.js';

/** What {@link assertFolderRule} checks a provider's folder rule against. */
export interface FolderRuleProperty {
  readonly provider: string;
  /** Source paths as the partner might send them, from its pattern with hostile parts to anything at all. */
  readonly sourcePath: fc.Arbitrary<string>;
  /** The documented shape of every folder the rule gives. */
  readonly folder: RegExp;
  readonly numRuns?: number;
}

/**
 * The property every folder rule must hold (fast-check): over arbitrary source paths and entry
 * names, the rule gives a folder of its documented shape or refuses the file (kind `route`),
 * and every key routed through it stays inside that folder and is a valid key. Returns how many
 * paths reached a folder, so a spec can check the pattern-shaped paths were not all refused.
 */
export function assertFolderRule(namer: FolderNamer, property: FolderRuleProperty): number {
  const router = new DefaultRouter(namer);
  let named = 0;
  fc.assert(
    fc.property(property.sourcePath, hostileName, (path, entry) => {
      const context: FileContext = { provider: property.provider, jobId: 'j', file: { path, size: 1, mtimeMs: 0 } };
      let folder: string;
      try {
        folder = namer.folderFor({ name: entry }, context);
      } catch (error) {
        if (OctoError.is(error) && error.kind === 'route') return;
        throw error;
      }
      named += 1;
      if (!property.folder.test(folder)) throw new Error(`folder ${JSON.stringify(folder)} is not of the shape ${property.folder}`);
      let key: string;
      try {
        key = router.route({ name: entry }, context);
      } catch (error) {
        if (OctoError.is(error) && ['unsafe', 'route'].includes(error.kind)) return;
        throw error;
      }
      const problem = routedKeyProblem(key, folder);
      if (problem) throw new Error(`key ${JSON.stringify(key)}: ${problem}`);
    }),
    { numRuns: property.numRuns ?? 2000, endOnFailure: true },
  );
  return named;
}
