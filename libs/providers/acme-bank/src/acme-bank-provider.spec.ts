import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRootContainer, parseConfig, ProviderFactory, TYPES, type FileContext, type ProviderContext } from '@octo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeBankFileFilter, AcmeBankFolderNamer, acmeBankProvider } from './index.js';

const file = (filePath: string) => ({ path: filePath, size: 1, mtimeMs: 0 });
const contextFor = (filePath: string): FileContext => ({ provider: 'acme-bank', jobId: 'job-1', file: file(filePath) });

describe('acmeBankProvider', () => {
  let dir: string;
  let factory: ProviderFactory;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-acme-bank-'));
    const text = [
      'store: file://buckets',
      'providers:',
      '  acme-bank:',
      '    source: file://drop',
      '    bucket: acme-bank-bucket',
      "    include: ['**/*.csv']",
    ].join('\n');
    const loaded = { config: parseConfig(text, path.join(dir, 'octo.config.yaml')), file: path.join(dir, 'octo.config.yaml'), baseDir: dir };
    factory = new ProviderFactory(createRootContainer(), [acmeBankProvider], loaded);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should be named acme-bank and describe itself in one line', () => {
    expect(acmeBankProvider.name).toBe('acme-bank');
    expect(acmeBankProvider.description).toMatch(/^[^\n]+$/);
  });

  describe('when its provider is created', () => {
    it('should bind its folder rule and file filter in the provider container', async () => {
      const handle = await factory.create('acme-bank');
      expect(handle.container.get(TYPES.FolderNamer)).toBeInstanceOf(AcmeBankFolderNamer);
      expect(handle.container.get(TYPES.FileFilter)).toBeInstanceOf(AcmeBankFileFilter);
    });

    it('should route outputs under the provider folder, mirroring the drop', async () => {
      const handle = await factory.create('acme-bank');
      const router = handle.container.get(TYPES.Router);
      expect(router.route({ name: 'a.csv' }, contextFor('in/2026/a.csv.gpg'))).toBe('data/csv/acme-bank/in/2026/a.csv');
      expect(router.route({ name: 'b.pdf' }, contextFor('b.pdf'))).toBe('data/pdf/acme-bank/b.pdf');
    });
  });

  describe(AcmeBankFileFilter, () => {
    const filter = new AcmeBankFileFilter({ config: { include: ['**/*.csv*'], exclude: [] } } as unknown as ProviderContext);

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
