import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { finished } from 'node:stream/promises';
import { createRootContainer, ProviderFactory, TYPES, type FileContext, type Logger, type StagedEntry } from '@octo/core';
import { octoThrown, sha256, silentLogger, parseConfig } from '@octo/core/testing';
import { describe, expect, it } from 'vitest';
import {
  globexPayrollProvider,
  globexPayrollSettingsSchema,
  GlobexPayrollFileHandler,
  GlobexPayrollFolderNamer,
  isoWeeksIn,
  MAX_MANIFEST_BYTES,
  parsePayrollBundleName,
  parsePayrollManifest,
} from './index.js';

const file = (filePath: string) => ({ path: filePath, size: 1, mtimeMs: 0 });
const contextFor = (filePath: string): FileContext => ({ provider: 'globex-payroll', jobId: 'job-1', file: file(filePath) });
const MANIFEST = `<?xml version="1.0" encoding="UTF-8"?>
<manifest period="2026-W05" employer="Globex">
  <payslip employee="E1001" file="payslips/E1001.pdf"/>
  <payslip employee="E1002" file="payslips/E1002.pdf"/>
</manifest>`;

describe(parsePayrollBundleName, () => {
  it('should read the year and the ISO week', () => {
    expect(parsePayrollBundleName('payroll_2026W05.tar.gz.pgp')).toEqual({ year: '2026', week: '05' });
    expect(parsePayrollBundleName('weekly/payroll_2026W53.tar.gz.pgp')).toEqual({ year: '2026', week: '53' });
  });

  it.each([
    ['payroll_2025W53.tar.gz.pgp', 'week 53 of a 52-week year'],
    ['payroll_2026W00.tar.gz.pgp', 'week 0'],
    ['payroll_2026W54.tar.gz.pgp', 'week 54'],
    ['payroll_2026-W05.tar.gz.pgp', 'a hyphen'],
    ['payroll_2026W5.tar.gz.pgp', 'a one-digit week'],
    ['payroll_2026W05.tar.gz.gpg', '.gpg rather than .pgp'],
    ['payroll_2026W05.zip.pgp', 'a zip'],
    ['payroll_2026W05.tar.gz', 'not encrypted'],
    ['payroll_2026W05.tar.gz.pgp.part', 'an upload in progress'],
  ])('should refuse %s (%s)', (name) => {
    expect(parsePayrollBundleName(name)).toBeUndefined();
  });
});

describe(isoWeeksIn, () => {
  it('should count 53 weeks in the years that have them', () => {
    expect([2015, 2020, 2024, 2025, 2026, 2032].map(isoWeeksIn)).toEqual([53, 53, 52, 52, 53, 53]);
  });
});

describe(GlobexPayrollFolderNamer, () => {
  it('should name the folder <YYYY>-W<ww>', () => {
    const namer = new GlobexPayrollFolderNamer();
    expect(namer.folderFor({ name: 'payslips/E1001.pdf' }, contextFor('payroll_2026W05.tar.gz.pgp'))).toBe('2026-W05');
    expect(octoThrown(() => namer.folderFor({ name: 'a.pdf' }, contextFor('bundle.tar.gz.pgp'))).kind).toBe('route');
  });
});

describe(parsePayrollManifest, () => {
  it('should list the payslip files in order, with the period', () => {
    expect(parsePayrollManifest(Buffer.from(MANIFEST), 'm')).toEqual({ period: '2026-W05', files: ['payslips/E1001.pdf', 'payslips/E1002.pdf'], sha256: new Map() });
    expect(parsePayrollManifest('<manifest><payslip file="a.pdf"/></manifest>', 'm')).toEqual({ files: ['a.pdf'], sha256: new Map() });
  });

  it('should read the sha256 a payslip states, in lowercase', () => {
    const digest = 'AB'.repeat(32);
    expect(parsePayrollManifest(`<manifest><payslip file="a.pdf" sha256="${digest}"/><payslip file="b.pdf"/></manifest>`, 'm').sha256).toEqual(
      new Map([['a.pdf', 'ab'.repeat(32)]]),
    );
  });

  it.each([
    ['<manifest><payslip file="a.pdf"></manifest>', /^b\.tar: manifest\.xml is not well-formed XML \(line 1: .+\); nothing from the bundle was landed$/],
    ['<payroll><payslip file="a.pdf"/></payroll>', /^b\.tar: manifest\.xml has no <manifest> root element/],
    ['<manifest><payslip employee="E1"/></manifest>', /^b\.tar: manifest\.xml: <payslip> number 1 has no file="\.\.\." attribute/],
    ['<manifest><payslip file="a.pdf"/><payslip file="a.pdf"/></manifest>', /^b\.tar: manifest\.xml lists a\.pdf twice/],
    ['<manifest period="2026-W05"></manifest>', /^b\.tar: manifest\.xml lists no <payslip file="\.\.\."\/>/],
    ['<manifest><payslip file="a.pdf" sha256="abc"/></manifest>', /^b\.tar: manifest\.xml: the sha256 of a\.pdf is not 64 hex digits/],
  ])('should refuse %s with a filter error', (xml, message) => {
    const error = octoThrown(() => parsePayrollManifest(xml, 'b.tar: manifest.xml'));
    expect(error.kind).toBe('filter');
    expect(error.message).toMatch(message);
  });
});

describe(GlobexPayrollFileHandler, () => {
  const bundle = 'payroll_2026W05.tar.gz.pgp';

  /** Entries as the pipeline hands them to finish once staged (the bodies only matter for hashes). */
  const staged = (entries: ReadonlyArray<string | readonly [string, string]>): StagedEntry[] =>
    entries.map((item) => {
      const [name, body] = typeof item === 'string' ? [item, `%PDF-1 ${item}`] : item;
      return { name, key: `data/pdf/2026-W05/${name}`, size: body.length, sha256: sha256(body) };
    });

  /** A handler, and one bundle's handling fed `entries` as the pipeline would: kept ones read, dropped ones drained. */
  const setup = async (entries: Array<string | readonly [string, string | Buffer]>, settings: object = {}) => {
    const warnings: unknown[] = [];
    const logger: Logger = { ...silentLogger, warn: (message, fields) => warnings.push({ message, fields }) };
    const handler = new GlobexPayrollFileHandler(globexPayrollSettingsSchema.parse(settings), logger);
    const handling = handler.begin(contextFor(bundle));
    const kept: Record<string, string> = {};
    for (const item of entries) {
      const [name, body] = typeof item === 'string' ? [item, item === 'manifest.xml' ? MANIFEST : `%PDF-1 ${item}`] : item;
      const stream = Readable.from([Buffer.from(body)]);
      const entry = handling.entry({ name, stream });
      if (entry) kept[entry.name] = await text(entry.stream);
      else await finished(stream.resume());
    }
    return { handling, kept, warnings };
  };

  it('should take bundle names only (the configured globs are discovery\'s)', () => {
    const handler = new GlobexPayrollFileHandler(globexPayrollSettingsSchema.parse({}), silentLogger);
    expect(handler.accepts(file('in/payroll_2026W05.tar.gz.pgp'))).toBe(true);
    expect(handler.accepts(file('payroll_2026W05.tar.gz.pgp'))).toBe(true);
    expect(handler.accepts(file('in/payroll_2026W05.zip.pgp'))).toBe(false);
    expect(handler.accepts(file('in/readme.txt'))).toBe(false);
  });

  it('should keep every payslip while streaming, bytes unchanged, and the manifest only when asked to', async () => {
    const { kept } = await setup(['payslips/E9999.pdf', 'manifest.xml', 'payslips/manifest.xml']);
    expect(kept).toEqual({ 'payslips/E9999.pdf': '%PDF-1 payslips/E9999.pdf', 'payslips/manifest.xml': '%PDF-1 payslips/manifest.xml' });
    const landing = await setup(['manifest.xml'], { landManifest: true });
    expect(landing.kept).toEqual({ 'manifest.xml': MANIFEST });
  });

  it('should give each bundle its own record, so two bundles at once never mix', async () => {
    const handler = new GlobexPayrollFileHandler(globexPayrollSettingsSchema.parse({}), silentLogger);
    const [first, second] = [handler.begin(contextFor(bundle)), handler.begin(contextFor('payroll_2026W06.tar.gz.pgp'))];
    for (const name of ['manifest.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf']) {
      const stream = Readable.from([Buffer.from(name === 'manifest.xml' ? MANIFEST : '%PDF-1')]);
      const kept = first.entry({ name, stream });
      await finished((kept?.stream ?? stream).resume());
    }
    expect(first.finish(staged(['payslips/E1001.pdf', 'payslips/E1002.pdf']))).toEqual([]);
    expect(octoThrown(() => second.finish([])).message).toBe(
      'payroll_2026W06.tar.gz.pgp has no manifest.xml at its root, so which payslips to land is unknown; nothing from it was landed',
    );
  });

  describe('when the bundle holds every listed file and some others', () => {
    it('should drop the unlisted entries and say so in the log', async () => {
      const entries = ['payslips/E1001.pdf', 'notes.txt', 'manifest.xml', 'payslips/E1002.pdf', 'payslips/E9999.pdf'];
      const { handling, warnings } = await setup(entries);
      const kept = ['payslips/E1001.pdf', 'notes.txt', 'payslips/E1002.pdf', 'payslips/E9999.pdf'];
      expect(handling.finish(staged(kept))).toEqual(['notes.txt', 'payslips/E9999.pdf']);
      expect(warnings).toEqual([
        { message: 'dropped bundle entries the manifest does not list', fields: { provider: 'globex-payroll', path: bundle, dropped: ['notes.txt', 'payslips/E9999.pdf'] } },
      ]);
    });

    it('should keep a landed manifest', async () => {
      const { handling } = await setup(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf'], { landManifest: true });
      expect(handling.finish(staged(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf']))).toEqual([]);
    });
  });

  describe('when the bundle is not what its manifest says', () => {
    it('should fail the file when a listed payslip is missing, naming it', async () => {
      const { handling } = await setup(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E9999.pdf']);
      const error = octoThrown(() => handling.finish(staged(['payslips/E1001.pdf', 'payslips/E9999.pdf'])));
      expect(error.kind).toBe('filter');
      expect(error.message).toBe(
        'payroll_2026W05.tar.gz.pgp: manifest.xml lists 1 file missing from the bundle (payslips/E1002.pdf); nothing from it was landed, ask Globex to resend the week',
      );
    });

    it('should fail the file when there is no manifest', async () => {
      const { handling } = await setup(['payslips/E1001.pdf']);
      expect(octoThrown(() => handling.finish(staged(['payslips/E1001.pdf']))).message).toBe(
        'payroll_2026W05.tar.gz.pgp has no manifest.xml at its root, so which payslips to land is unknown; nothing from it was landed',
      );
    });

    it('should fail the file when the manifest is for another week', async () => {
      const { handling } = await setup([['manifest.xml', MANIFEST.replace('2026-W05', '2026-W04')], 'payslips/E1001.pdf', 'payslips/E1002.pdf']);
      expect(octoThrown(() => handling.finish([])).message).toBe(
        'payroll_2026W05.tar.gz.pgp: manifest.xml is for period 2026-W04 but the bundle is named for 2026-W05; nothing from it was landed',
      );
    });

    it('should fail the file when a payslip is not the one whose sha256 the manifest states', async () => {
      const good = sha256('%PDF-1 E1001');
      const listed = sha256('%PDF-1 E1002');
      const manifest = `<manifest><payslip file="E1001.pdf" sha256="${good}"/><payslip file="E1002.pdf" sha256="${listed}"/></manifest>`;
      const { handling } = await setup([['manifest.xml', manifest], ['E1001.pdf', '%PDF-1 E1001'], ['E1002.pdf', '%PDF-1 tampered']]);
      const entries = staged([['E1001.pdf', '%PDF-1 E1001'], ['E1002.pdf', '%PDF-1 tampered']]);
      expect(octoThrown(() => handling.finish(entries)).message).toBe(
        `payroll_2026W05.tar.gz.pgp: E1002.pdf does not match its sha256 in manifest.xml (listed ${listed.slice(0, 12)}..., bundle holds ${sha256('%PDF-1 tampered').slice(0, 12)}...); nothing from it was landed, ask Globex to resend the week`,
      );
    });

    it('should use the configured manifest name', async () => {
      const { handling, kept } = await setup([['index.xml', MANIFEST], 'payslips/E1001.pdf', 'payslips/E1002.pdf'], { manifest: 'index.xml' });
      expect(Object.keys(kept)).toEqual(['payslips/E1001.pdf', 'payslips/E1002.pdf']);
      expect(handling.finish(staged(['payslips/E1001.pdf', 'payslips/E1002.pdf']))).toEqual([]);
    });

    it('should fail a manifest larger than the limit, landed or not', async () => {
      const tooLarge = `payroll_2026W05.tar.gz.pgp: manifest.xml is larger than ${MAX_MANIFEST_BYTES} bytes, too large for a manifest; nothing from the bundle was landed`;
      await expect(setup([['manifest.xml', Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20)]], { landManifest: true })).rejects.toThrow(tooLarge);
      // Not landed: the pipeline only drains the entry; the bundle's end refuses it.
      const handling = new GlobexPayrollFileHandler(globexPayrollSettingsSchema.parse({}), silentLogger).begin(contextFor(bundle));
      const stream = Readable.from([Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20)]);
      expect(handling.entry({ name: 'manifest.xml', stream })).toBeUndefined();
      await finished(stream.resume()).catch(() => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      expect(octoThrown(() => handling.finish([])).message).toBe(tooLarge);
    });

    it('should fail a bundle holding the manifest twice', async () => {
      await expect(setup(['manifest.xml', 'manifest.xml'])).rejects.toThrow(
        'payroll_2026W05.tar.gz.pgp holds manifest.xml twice, so which payslips to land is unclear; nothing from it was landed',
      );
    });
  });
});

describe('globexPayrollProvider', () => {
  describe("when the README's config block is pasted", () => {
    it('should be a valid config whose settings the plugin parses, binding its stages', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'octo-globex-readme-'));
      try {
        const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
        const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1] ?? '')[0] ?? '';
        // The one placeholder left to fill in: Globex's host key fingerprint.
        expect(block.match(/\.\.\./g)).toEqual(['...']);
        const file = path.join(dir, 'octo.config.yaml');
        const config = parseConfig(`store: file://buckets\nproviders:\n${block.replace('SHA256:...', `SHA256:${'A'.repeat(43)}`)}`, file);
        expect(config.providers['globex-payroll']?.decryption).toMatchObject({ passphrase: 'env:GLOBEX_PAYROLL_PASSPHRASE', signature: 'ignore' });
        const handle = await new ProviderFactory(createRootContainer(), [globexPayrollProvider], { config, file, baseDir: dir }).create('globex-payroll');
        expect(handle.context.settings).toEqual({ manifest: 'manifest.xml', landManifest: false });
        expect(handle.container.get(TYPES.FolderNamer)).toBeInstanceOf(GlobexPayrollFolderNamer);
        expect(handle.container.get(TYPES.FileHandler)).toBeInstanceOf(GlobexPayrollFileHandler);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('should refuse a manifest name with a folder in it, naming the field', async () => {
      const file = '/tmp/octo.config.yaml';
      const config = parseConfig(
        ['store: file://buckets', 'providers:', '  globex-payroll:', '    source: file://drop', '    bucket: globex-payroll', '    settings: { manifest: meta/manifest.xml }'].join('\n'),
        file,
      );
      await expect(new ProviderFactory(createRootContainer(), [globexPayrollProvider], { config, file, baseDir: '/tmp' }).create('globex-payroll')).rejects.toThrow(
        'providers.globex-payroll.settings.manifest: expected a file name at the bundle root, e.g. manifest.xml',
      );
    });
  });
});
