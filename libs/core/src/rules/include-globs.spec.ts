import { describe, expect, it } from 'vitest';
import { providerConfigSchema } from '../config/config-schema.js';
import type { RemoteFile } from '../ports/remote-source.js';
import { includeGlobs, leftAsInProgress } from './include-globs.js';

describe(includeGlobs, () => {
  const filter = (include: string[], exclude: string[]) => {
    const takes = includeGlobs(providerConfigSchema.parse({ source: 'file://x', bucket: 'bucket', include, exclude }));
    return { accepts: (file: RemoteFile) => takes(file) };
  };

  it('should take what an include matches and no exclude matches', () => {
    const f = filter(['out/**/*.gpg', '*.csv'], ['**/test_*']);
    expect(f.accepts({ path: 'out/2026/a.csv.gpg', size: 1, mtimeMs: 1 })).toBe(true);
    expect(f.accepts({ path: 'top.csv', size: 1, mtimeMs: 1 })).toBe(true);
    expect(f.accepts({ path: 'out/test_a.gpg', size: 1, mtimeMs: 1 })).toBe(false);
    expect(f.accepts({ path: 'in/a.gpg', size: 1, mtimeMs: 1 })).toBe(false);
  });

  it('should leave uploads still in progress and dot files for a later run', () => {
    const f = filter(['**/*'], []);
    for (const path of ['in/a.csv.gpg.part', 'in/a.tmp', 'in/a.filepart', 'in/~lock.csv', 'in/.hidden.csv', 'a.zip.crdownload']) {
      expect(f.accepts({ path, size: 1, mtimeMs: 1 }), path).toBe(false);
    }
    expect(f.accepts({ path: 'in/partner.csv.gpg', size: 1, mtimeMs: 1 })).toBe(true);
  });

  it('should tell apart the files left only as in progress or dot files from those the globs do not take', () => {
    const left = leftAsInProgress(providerConfigSchema.parse({ source: 'file://x', bucket: 'bucket', include: ['in/**/*'], exclude: ['**/*.md'] }));
    const of = (path: string) => left({ path });
    expect(['in/a.csv.part', 'in/.hidden.csv', 'in/.incoming/b.csv', 'in/~lock.csv'].filter(of)).toEqual(['in/a.csv.part', 'in/.hidden.csv', 'in/.incoming/b.csv', 'in/~lock.csv']);
    // Taken, outside the include globs, or excluded: none of these is left as in progress.
    expect(['in/a.csv', 'out/a.csv.part', 'out/.hidden.csv', 'in/.notes.md', 'in/readme.md.part'].filter(of)).toEqual(['in/readme.md.part']);
  });

  it('should take a dot folder that a glob names itself', () => {
    const takes = includeGlobs(providerConfigSchema.parse({ source: 'file://x', bucket: 'bucket', include: ['.export/*.csv'], exclude: [] }));
    expect(takes({ path: '.export/a.csv' })).toBe(true);
  });
});
