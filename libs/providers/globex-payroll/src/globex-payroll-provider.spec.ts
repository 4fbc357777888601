import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRootContainer, parseConfig, ProviderFactory, TYPES, type FileContext, type ProviderContext } from '@octo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlobexPayrollFileFilter, GlobexPayrollFolderNamer, globexPayrollProvider } from './index.js';

const file = (filePath: string) => ({ path: filePath, size: 1, mtimeMs: 0 });
const contextFor = (filePath: string): FileContext => ({ provider: 'globex-payroll', jobId: 'job-1', file: file(filePath) });

describe('globexPayrollProvider', () => {
  let dir: string;
  let factory: ProviderFactory;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-globex-payroll-'));
    const text = [
      'store: file://buckets',
      'providers:',
      '  globex-payroll:',
      '    source: file://drop',
      '    bucket: globex-payroll-bucket',
      "    include: ['**/*.csv']",
    ].join('\n');
    const loaded = { config: parseConfig(text, path.join(dir, 'octo.config.yaml')), file: path.join(dir, 'octo.config.yaml'), baseDir: dir };
    factory = new ProviderFactory(createRootContainer(), [globexPayrollProvider], loaded);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should be named globex-payroll and describe itself in one line', () => {
    expect(globexPayrollProvider.name).toBe('globex-payroll');
    expect(globexPayrollProvider.description).toMatch(/^[^\n]+$/);
  });

  describe('when its provider is created', () => {
    it('should bind its folder rule and file filter in the provider container', async () => {
      const handle = await factory.create('globex-payroll');
      expect(handle.container.get(TYPES.FolderNamer)).toBeInstanceOf(GlobexPayrollFolderNamer);
      expect(handle.container.get(TYPES.FileFilter)).toBeInstanceOf(GlobexPayrollFileFilter);
    });

    it('should route outputs under the provider folder, mirroring the drop', async () => {
      const handle = await factory.create('globex-payroll');
      const router = handle.container.get(TYPES.Router);
      expect(router.route({ name: 'a.csv' }, contextFor('in/2026/a.csv.gpg'))).toBe('data/csv/globex-payroll/in/2026/a.csv');
      expect(router.route({ name: 'b.pdf' }, contextFor('b.pdf'))).toBe('data/pdf/globex-payroll/b.pdf');
    });
  });

  describe(GlobexPayrollFileFilter, () => {
    const filter = new GlobexPayrollFileFilter({ config: { include: ['**/*.csv*'], exclude: [] } } as unknown as ProviderContext);

    it('should take files matching the include globs', () => {
      expect(filter.accepts(file('in/statement.csv.gpg'))).toBe(true);
      expect(filter.accepts(file('in/readme.txt'))).toBe(false);
    });

    it('should leave uploads still in progress for a later run', () => {
      expect(filter.accepts(file('in/statement.csv.part'))).toBe(false);
      expect(filter.accepts(file('in/.statement.csv.gpg'))).toBe(false);
    });
  });
});
