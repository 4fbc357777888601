import { describe, expect, it } from 'vitest';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/stages.js';
import { providerConfigSchema } from '../../config/config-schema.js';
import { DefaultFolderNamer } from './default-folder-namer.js';
import { DefaultRouter, outputTypeOf } from './default-router.js';
import { GlobFileFilter } from './glob-file-filter.js';

const context: FileContext = { provider: 'acme-bank', jobId: 'j', file: { path: 'in/x.csv.gpg', size: 1, mtimeMs: 1 } };

describe(DefaultRouter, () => {
  const router = new DefaultRouter(new DefaultFolderNamer());

  it('should keep the legacy layout data/<type>/<folder>/<name>', () => {
    expect(router.route({ name: 'report.csv' }, context)).toBe('data/csv/acme-bank/report.csv');
    expect(router.route({ name: 'Scan.PDF' }, context)).toBe('data/pdf/acme-bank/Scan.PDF');
    expect(router.route({ name: 'bundle/manifest.xml' }, context)).toBe('data/xml/acme-bank/bundle/manifest.xml');
    expect(router.route({ name: 'notes.txt' }, context)).toBe('data/other/acme-bank/notes.txt');
  });

  it('should type by the final extension only, never by a substring', () => {
    expect(outputTypeOf('report.csv.txt')).toBe('other');
    expect(outputTypeOf('pdf-export.xml')).toBe('xml');
    expect(outputTypeOf('csv')).toBe('other');
  });

  it('should refuse a folder rule or name that would escape the prefix', () => {
    const evil = new DefaultRouter({ folderFor: () => '../../other-provider' });
    expect(() => evil.route({ name: 'a.csv' }, context)).toThrow('folder "../../other-provider" is refused');
    expect(() => router.route({ name: '../a.csv' }, context)).toThrow('output name "../a.csv" is refused');
  });
});

describe(GlobFileFilter, () => {
  const filter = (include: string[], exclude: string[]) =>
    new GlobFileFilter({ config: providerConfigSchema.parse({ source: 'file://x', bucket: 'bucket', include, exclude }) } as ProviderContext);

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
});
