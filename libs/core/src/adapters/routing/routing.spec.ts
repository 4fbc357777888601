import { describe, expect, it } from 'vitest';
import type { FileContext } from '../../ports/file-context.js';
import { DefaultFolderNamer } from './default-folder-namer.js';
import { DefaultRouter, outputTypeOf } from './default-router.js';

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
