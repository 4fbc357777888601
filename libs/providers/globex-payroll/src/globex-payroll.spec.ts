import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { createRootContainer, parseConfig, ProviderFactory, silentLogger, TYPES, type FileContext, type Logger, type ProviderContext, type StagedEntry, type UnpackedEntry, type Unpacker } from '@octo/core';
import { octoThrown, sha256 } from '@octo/core/testing';
import { describe, expect, it } from 'vitest';
import {
  BundleContents,
  globexPayrollProvider,
  globexPayrollSettingsSchema,
  GlobexPayrollFileFilter,
  GlobexPayrollFolderNamer,
  isoWeeksIn,
  ManifestCapturingUnpacker,
  MAX_MANIFEST_BYTES,
  parsePayrollBundleName,
  parsePayrollManifest,
} from './index.js';

const file = (filePath: string) => ({ path: filePath, size: 1, mtimeMs: 0 });
const contextFor = (filePath: string): FileContext => ({ provider: 'globex-payroll', jobId: 'job-1', file: file(filePath) });
const providerWith = (settings: object = {}, include = ['**/*']) =>
  ({ name: 'globex-payroll', config: { include, exclude: [] }, settings: globexPayrollSettingsSchema.parse(settings) }) as unknown as ProviderContext;

/** An inner unpacker that yields the given entries as they are. */
const innerOf = (entries: Array<[string, string | Buffer]>): Unpacker => ({
  async *unpack(): AsyncIterable<UnpackedEntry> {
    for (const [name, body] of entries) yield { name, stream: Readable.from([Buffer.from(body)]) };
  },
});

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

describe(GlobexPayrollFileFilter, () => {
  const bundle = 'payroll_2026W05.tar.gz.pgp';

  /** Entries as the pipeline hands them to finishFile once staged (the bodies only matter for hashes). */
  const staged = (entries: ReadonlyArray<string | readonly [string, string]>): StagedEntry[] =>
    entries.map((item) => {
      const [name, body] = typeof item === 'string' ? [item, `%PDF-1 ${item}`] : item;
      return { name, key: `data/pdf/2026-W05/${name}`, size: body.length, sha256: sha256(body) };
    });

  /** A filter and the record the unpacker would have filled for one file. */
  const setup = (entries: string[], manifest: string | undefined, settings: object = {}) => {
    const contents = new BundleContents();
    const warnings: unknown[] = [];
    const logger: Logger = { ...silentLogger, warn: (message, fields) => warnings.push({ message, fields }) };
    const filter = new GlobexPayrollFileFilter(providerWith(settings), contents, logger);
    const context = contextFor(bundle);
    const seen = contents.of(context);
    seen.entries.push(...entries);
    if (manifest !== undefined) seen.manifest = Buffer.from(manifest);
    return { filter, context, warnings, contents };
  };

  it('should take bundle names only, within the globs', () => {
    const filter = new GlobexPayrollFileFilter(providerWith({}, ['in/**']), new BundleContents(), silentLogger);
    expect(filter.accepts(file('in/payroll_2026W05.tar.gz.pgp'))).toBe(true);
    expect(filter.accepts(file('payroll_2026W05.tar.gz.pgp'))).toBe(false);
    expect(filter.accepts(file('in/payroll_2026W05.zip.pgp'))).toBe(false);
    expect(filter.accepts(file('in/readme.txt'))).toBe(false);
  });

  it('should keep every payslip while streaming and the manifest only when asked to', () => {
    const { filter, context } = setup([], undefined);
    expect(filter.keepsEntry({ name: 'payslips/E9999.pdf' }, context)).toBe(true);
    expect(filter.keepsEntry({ name: 'manifest.xml' }, context)).toBe(false);
    expect(filter.keepsEntry({ name: 'payslips/manifest.xml' }, context)).toBe(true);
    const landing = setup([], undefined, { landManifest: true });
    expect(landing.filter.keepsEntry({ name: 'manifest.xml' }, landing.context)).toBe(true);
  });

  describe('when the bundle holds every listed file and some others', () => {
    it('should drop the unlisted entries and say so in the log', () => {
      const entries = ['payslips/E1001.pdf', 'notes.txt', 'manifest.xml', 'payslips/E1002.pdf', 'payslips/E9999.pdf'];
      const { filter, context, warnings } = setup(entries, MANIFEST);
      const kept = ['payslips/E1001.pdf', 'notes.txt', 'payslips/E1002.pdf', 'payslips/E9999.pdf'];
      expect(filter.finishFile(staged(kept), context)).toEqual(['notes.txt', 'payslips/E9999.pdf']);
      expect(warnings).toEqual([
        { message: 'dropped bundle entries the manifest does not list', fields: { provider: 'globex-payroll', path: bundle, dropped: ['notes.txt', 'payslips/E9999.pdf'] } },
      ]);
    });

    it('should keep a landed manifest', () => {
      const { filter, context } = setup(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf'], MANIFEST, { landManifest: true });
      expect(filter.finishFile(staged(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf']), context)).toEqual([]);
    });

    it('should read the record once', () => {
      const { filter, context, contents } = setup(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf'], MANIFEST);
      filter.finishFile([], context);
      expect(contents.of(context)).toEqual({ entries: [] });
    });
  });

  describe('when the bundle is not what its manifest says', () => {
    it('should fail the file when a listed payslip is missing, naming it', () => {
      const { filter, context } = setup(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E9999.pdf'], MANIFEST);
      const error = octoThrown(() => filter.finishFile(staged(['payslips/E1001.pdf', 'payslips/E9999.pdf']), context));
      expect(error.kind).toBe('filter');
      expect(error.message).toBe(
        'payroll_2026W05.tar.gz.pgp: manifest.xml lists 1 file missing from the bundle (payslips/E1002.pdf); nothing from it was landed, ask Globex to resend the week',
      );
    });

    it('should fail the file when there is no manifest', () => {
      const { filter, context } = setup(['payslips/E1001.pdf'], undefined);
      expect(octoThrown(() => filter.finishFile(staged(['payslips/E1001.pdf']), context)).message).toBe(
        'payroll_2026W05.tar.gz.pgp has no manifest.xml at its root, so which payslips to land is unknown; nothing from it was landed',
      );
    });

    it('should fail the file when the manifest is for another week', () => {
      const { filter, context } = setup(['manifest.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf'], MANIFEST.replace('2026-W05', '2026-W04'));
      expect(octoThrown(() => filter.finishFile([], context)).message).toBe(
        'payroll_2026W05.tar.gz.pgp: manifest.xml is for period 2026-W04 but the bundle is named for 2026-W05; nothing from it was landed',
      );
    });

    it('should fail the file when a payslip is not the one whose sha256 the manifest states', async () => {
      const contents = new BundleContents();
      const filter = new GlobexPayrollFileFilter(providerWith(), contents, silentLogger);
      const context = contextFor(bundle);
      const good = sha256('%PDF-1 E1001');
      const listed = sha256('%PDF-1 E1002');
      const manifest = `<manifest><payslip file="E1001.pdf" sha256="${good}"/><payslip file="E1002.pdf" sha256="${listed}"/></manifest>`;
      const unpacker = new ManifestCapturingUnpacker(innerOf([['manifest.xml', manifest], ['E1001.pdf', '%PDF-1 E1001'], ['E1002.pdf', '%PDF-1 tampered']]), contents, providerWith());
      for await (const entry of unpacker.unpack(Readable.from([]), 'x', context)) await text(entry.stream);
      const entries = staged([['E1001.pdf', '%PDF-1 E1001'], ['E1002.pdf', '%PDF-1 tampered']]);
      expect(octoThrown(() => filter.finishFile(entries, context)).message).toBe(
        `payroll_2026W05.tar.gz.pgp: E1002.pdf does not match its sha256 in manifest.xml (listed ${listed.slice(0, 12)}..., bundle holds ${sha256('%PDF-1 tampered').slice(0, 12)}...); nothing from it was landed, ask Globex to resend the week`,
      );
    });

    it('should use the configured manifest name', () => {
      const { filter, context } = setup(['index.xml', 'payslips/E1001.pdf', 'payslips/E1002.pdf'], MANIFEST, { manifest: 'index.xml' });
      expect(filter.keepsEntry({ name: 'index.xml' }, context)).toBe(false);
      expect(filter.finishFile(staged(['payslips/E1001.pdf', 'payslips/E1002.pdf']), context)).toEqual([]);
    });
  });
});

describe(ManifestCapturingUnpacker, () => {
  it('should record every entry and a copy of the manifest, passing the bytes through unchanged', async () => {
    const contents = new BundleContents();
    const unpacker = new ManifestCapturingUnpacker(innerOf([['payslips/E1001.pdf', '%PDF-1'], ['manifest.xml', MANIFEST]]), contents, providerWith());
    const context = contextFor('payroll_2026W05.tar.gz.pgp');
    const bodies: Record<string, string> = {};
    for await (const entry of unpacker.unpack(Readable.from([]), 'payroll_2026W05.tar.gz', context)) bodies[entry.name] = await text(entry.stream);
    expect(bodies).toEqual({ 'payslips/E1001.pdf': '%PDF-1', 'manifest.xml': MANIFEST });
    expect(contents.of(context).entries).toEqual(['payslips/E1001.pdf', 'manifest.xml']);
    expect(contents.of(context).manifest?.toString()).toBe(MANIFEST);
  });

  it('should fail a manifest larger than the limit', async () => {
    const unpacker = new ManifestCapturingUnpacker(innerOf([['manifest.xml', Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20)]]), new BundleContents(), providerWith());
    const context = contextFor('payroll_2026W05.tar.gz.pgp');
    const reading = (async () => {
      for await (const entry of unpacker.unpack(Readable.from([]), 'x', context)) await text(entry.stream);
    })();
    await expect(reading).rejects.toThrow(`payroll_2026W05.tar.gz.pgp: manifest.xml is larger than ${MAX_MANIFEST_BYTES} bytes, too large for a manifest`);
  });

  it('should fail a bundle holding the manifest twice', async () => {
    const unpacker = new ManifestCapturingUnpacker(innerOf([['manifest.xml', MANIFEST], ['manifest.xml', MANIFEST]]), new BundleContents(), providerWith());
    const reading = (async () => {
      for await (const entry of unpacker.unpack(Readable.from([]), 'x', contextFor('payroll_2026W05.tar.gz.pgp'))) await text(entry.stream);
    })();
    await expect(reading).rejects.toThrow('payroll_2026W05.tar.gz.pgp holds manifest.xml twice');
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
        expect(handle.container.get(TYPES.FileFilter)).toBeInstanceOf(GlobexPayrollFileFilter);
        expect(handle.container.get(TYPES.Unpacker)).toBeInstanceOf(ManifestCapturingUnpacker);
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
