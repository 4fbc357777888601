import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRootContainer, ProviderFactory, TYPES, type FileContext } from '@octo/core';
import { octoFailure, octoThrown, parseConfig } from '@octo/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeBankProvider, AcmeBankFileHandler, AcmeBankFolderNamer, AcmeBankStatementCheck, parseStatementName } from './index.js';

const file = (filePath: string) => ({ path: filePath, size: 1, mtimeMs: 0 });
const contextFor = (filePath: string): FileContext => ({ provider: 'acme-bank', jobId: 'job-1', file: file(filePath) });

describe(parseStatementName, () => {
  it('should read the account and the date', () => {
    expect(parseStatementName('stmt_12345678_20261101.csv.gz.gpg')).toEqual({ account: '12345678', year: '2026', month: '11', day: '01' });
    expect(parseStatementName('outbound/2026/stmt_GB29-NWBK-6016_20240229.csv.gz.gpg')).toEqual({
      account: 'GB29-NWBK-6016',
      year: '2024',
      month: '02',
      day: '29',
    });
  });

  it.each([
    ['statement_12345678_20261101.csv.gz.gpg', 'another prefix'],
    ['stmt_12345678_2026110.csv.gz.gpg', 'a 7-digit date'],
    ['stmt_12345678_20261301.csv.gz.gpg', 'month 13'],
    ['stmt_12345678_20250229.csv.gz.gpg', '29 February of a common year'],
    ['stmt_12345678_20261131.csv.gz.gpg', '31 November'],
    ['stmt_12345678_20261101.csv.gpg', 'no gzip layer'],
    ['stmt_12345678_20261101.csv.gz', 'not encrypted'],
    ['stmt_12345678_20261101.csv.gz.gpg.part', 'an upload in progress'],
    ['stmt_1234_5678_20261101.csv.gz.gpg', 'an underscore in the account'],
    ['stmt__20261101.csv.gz.gpg', 'no account'],
    ['stmt_-1234_20261101.csv.gz.gpg', 'an account starting with a hyphen'],
    ['STMT_12345678_20261101.CSV.GZ.GPG', 'upper case'],
  ])('should refuse %s (%s)', (name) => {
    expect(parseStatementName(name)).toBeUndefined();
  });
});

describe(AcmeBankFolderNamer, () => {
  const namer = new AcmeBankFolderNamer();

  it('should name the folder <account>/<YYYY>/<MM>', () => {
    expect(namer.folderFor({ name: 'stmt_12345678_20261101.csv' }, contextFor('stmt_12345678_20261101.csv.gz.gpg'))).toBe('12345678/2026/11');
    expect(namer.folderFor({ name: 'x.csv' }, contextFor('in/stmt_ACME-9_20270131.csv.gz.gpg'))).toBe('ACME-9/2027/01');
  });

  it('should refuse a file that is not a statement, with a route error', () => {
    const error = octoThrown(() => namer.folderFor({ name: 'notice.csv' }, contextFor('notice.csv.gz.gpg')));
    expect(error.kind).toBe('route');
    expect(error.message).toBe('notice.csv.gz.gpg is not named stmt_<account>_<YYYYMMDD>.csv.gz.gpg, so it has no account folder');
  });
});

describe(AcmeBankFileHandler, () => {
  const handler = new AcmeBankFileHandler();

  it('should take statement names only', () => {
    const listed = [
      'stmt_12345678_20261101.csv.gz.gpg',
      'out/stmt_87654321_20261102.csv.gz.gpg',
      'stmt_12345678_20261101.csv.gz.gpg.part',
      'stmt_12345678_20261132.csv.gz.gpg',
      'README.txt',
      'notice_20261101.pdf.gpg',
    ];
    expect(listed.filter((name) => handler.accepts(file(name)))).toEqual(['stmt_12345678_20261101.csv.gz.gpg', 'out/stmt_87654321_20261102.csv.gz.gpg']);
  });

  it('should still be under the configured globs, which discovery applies first', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-acme-bank-globs-'));
    try {
      for (const name of ['stmt_12345678_20261101.csv.gz.gpg', 'out/stmt_12345678_20261101.csv.gz.gpg', 'out/stmt_87654321_20261101.csv.gz.gpg', 'out/notice.csv.gz.gpg']) {
        await mkdir(path.dirname(path.join(dir, 'drop', name)), { recursive: true });
        await writeFile(path.join(dir, 'drop', name), 'x');
      }
      const text = [
        'store: file://buckets',
        'providers:',
        '  acme-bank:',
        '    source: file://drop',
        '    bucket: acme-bank-bucket',
        "    include: ['out/**']",
        "    exclude: ['**/stmt_87654321_*']",
        '    decryption: { privateKeys: [{ key: "file:keys/ours.asc" }], signature: required, verificationKeys: ["file:keys/bank.asc"] }',
      ].join('\n');
      const loaded = { config: parseConfig(text, path.join(dir, 'octo.config.yaml')), file: path.join(dir, 'octo.config.yaml'), baseDir: dir };
      const job = (await new ProviderFactory(createRootContainer(), [acmeBankProvider], loaded).create('acme-bank')).syncJob();
      expect((await job.pending()).map((found) => found.path)).toEqual(['out/stmt_12345678_20261101.csv.gz.gpg']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('acmeBankProvider', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-acme-bank-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const factoryFor = (decryption: string[]) => {
    const text = ['store: file://buckets', 'providers:', '  acme-bank:', '    source: file://drop', '    bucket: acme-bank-bucket', '    decryption:', ...decryption.map((line) => `      ${line}`)].join('\n');
    const loaded = { config: parseConfig(text, path.join(dir, 'octo.config.yaml')), file: path.join(dir, 'octo.config.yaml'), baseDir: dir };
    return new ProviderFactory(createRootContainer(), [acmeBankProvider], loaded);
  };

  it('should be named acme-bank', () => {
    expect(acmeBankProvider.name).toBe('acme-bank');
    expect(acmeBankProvider.description).toContain('signature required');
  });

  describe('when the config requires the bank signature', () => {
    it('should bind its folder rule and file handler, and route a statement to data/csv/<account>/<YYYY>/<MM>', async () => {
      const handle = await factoryFor(['privateKeys: [{ key: "file:keys/ours.asc" }]', 'signature: required', 'verificationKeys: ["file:keys/bank.asc"]']).create('acme-bank');
      expect(handle.container.get(TYPES.FolderNamer)).toBeInstanceOf(AcmeBankFolderNamer);
      expect(handle.container.get(TYPES.FileHandler)).toBeInstanceOf(AcmeBankFileHandler);
      expect(handle.container.get(TYPES.EntryTransform)).toBeInstanceOf(AcmeBankStatementCheck);
      const router = handle.container.get(TYPES.Router);
      expect(router.route({ name: 'stmt_12345678_20261101.csv' }, contextFor('stmt_12345678_20261101.csv.gz.gpg'))).toBe(
        'data/csv/12345678/2026/11/stmt_12345678_20261101.csv',
      );
    });
  });

  describe("when the README's config block is pasted", () => {
    it('should be a valid config that the plugin accepts', async () => {
      const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
      const block = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
      // The one placeholder left to fill in: the bank's host key fingerprint.
      expect(block.match(/\.\.\./g)).toEqual(['...']);
      const filled = block.replace('SHA256:...', `SHA256:${'A'.repeat(43)}`);
      const file = path.join(dir, 'octo.config.yaml');
      const config = parseConfig(`store: file://buckets\nproviders:\n${filled}`, file);
      expect(config.providers['acme-bank']?.decryption).toMatchObject({ signature: 'required', verificationKeys: ['file:keys/acme-bank-signing.asc'] });
      const factory = new ProviderFactory(createRootContainer(), [acmeBankProvider], { config, file, baseDir: dir });
      expect(factory.list()).toEqual([
        { name: 'acme-bank', plugin: 'acme-bank', description: acmeBankProvider.description, source: 'sftp://octo@sftp.acme-bank.example:22/outbound', bucket: 'acme-bank-statements' },
      ]);
      // The plugin's own check passes: nothing connects or reads a secret until a sync runs.
      const handle = await factory.create('acme-bank');
      expect(handle.container.get(TYPES.FolderNamer)).toBeInstanceOf(AcmeBankFolderNamer);
    });
  });

  describe('when the config does not require the bank signature', () => {
    it('should refuse to start, naming every field to fix', async () => {
      const error = await octoFailure(factoryFor(['passphrase: env:ACME_PASSPHRASE', 'signature: if-present']).create('acme-bank'));
      expect(error.kind).toBe('config');
      expect(error.fatal).toBe(true);
      expect(error.message).toContain(
        [
          'provider acme-bank (plugin acme-bank) is not configured safely:',
          '  providers.acme-bank.decryption.signature: must be "required" (it is "if-present"): Acme Bank signs every statement',
          "  providers.acme-bank.decryption.verificationKeys: add the bank's public signing key, e.g. file:keys/acme-bank-signing.asc",
          '  providers.acme-bank.decryption.privateKeys: add the private key the bank encrypts statements to',
        ].join('\n'),
      );
    });

    it('should refuse "ignore" even with keys configured', async () => {
      await expect(
        factoryFor(['privateKeys: [{ key: "file:keys/ours.asc" }]', 'signature: ignore', 'verificationKeys: ["file:keys/bank.asc"]']).create('acme-bank'),
      ).rejects.toThrow('providers.acme-bank.decryption.signature: must be "required" (it is "ignore")');
    });
  });
});
