import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import type { ProviderContext } from '../../ports/identifiers.js';
import type { FileContext } from '../../ports/file-context.js';
import { octoFailure } from '../../testing/expect-failure.js';
import { rawNameTar, rawNameZip } from '../../testing/raw-name-archives.js';
import { DefaultUnpacker } from './default-unpacker.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');

describe('DefaultUnpacker entry names', () => {
  let workDir: string;
  let unpacker: DefaultUnpacker;

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'octo-entry-names-'));
    unpacker = new DefaultUnpacker({ name: 'p', workDir, limits: { maxUnpackedBytes: 1024 ** 2, maxCompressionRatio: 1000, maxEntries: 100 } } as ProviderContext);
  });

  afterAll(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  async function names(bytes: Buffer, archive: string): Promise<Record<string, string>> {
    const context: FileContext = { provider: 'p', jobId: 'j', file: { path: archive, size: bytes.length, mtimeMs: 0 } };
    const out: Record<string, string> = {};
    for await (const entry of unpacker.unpack(Readable.from([bytes]), archive, context)) out[entry.name] = (await buffer(entry.stream)).toString();
    return out;
  }

  describe('in a tar', () => {
    it('should read ustar names by the rule: UTF-8 as is, anything else as Windows-1252', async () => {
      const tar = rawNameTar([
        { name: latin1('d\xe9p\xf4t/r\xe9sum\xe9 \x80.csv'), body: 'latin-1' },
        { name: Buffer.from('déjà-utf8.csv'), body: 'utf-8' },
        { name: latin1('a\xe9.csv'), body: 'e acute' },
        { name: latin1('a\xe8.csv'), body: 'e grave' },
      ]);
      expect(await names(tar, 'bundle.tar')).toEqual({ 'dépôt/résumé €.csv': 'latin-1', 'déjà-utf8.csv': 'utf-8', 'aé.csv': 'e acute', 'aè.csv': 'e grave' });
    });

    it('should read a GNU long name by the same rule', async () => {
      const long = `${'x'.repeat(120)}/caf\xe9.csv`;
      expect(await names(rawNameTar([{ name: latin1(long), body: 'long' }], 'gnu-long'), 'bundle.tar')).toEqual({ [`${'x'.repeat(120)}/café.csv`]: 'long' });
    });

    it('should take a pax path as UTF-8, and refuse one that is not, rather than land a guessed name', async () => {
      expect(await names(rawNameTar([{ name: Buffer.from('ünïcödé.csv'), body: 'pax' }], 'pax'), 'bundle.tar')).toEqual({ 'ünïcödé.csv': 'pax' });
      const error = await octoFailure(names(rawNameTar([{ name: latin1('caf\xe9.csv'), body: 'x' }], 'pax'), 'bundle.tar'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('bundle.tar: tar entry "caf\uFFFD.csv" is refused: its pax path is not valid UTF-8; nothing from this file was landed');
    });

    it('should name a refused link entry as it reads, not as bytes one character each', async () => {
      const tar = rawNameTar([{ name: Buffer.from('lien-é'), body: '', typeflag: '2' }]);
      const error = await octoFailure(names(tar, 'bundle.tar'));
      expect(error.message).toBe('bundle.tar: tar entry "lien-é" is a symlink, and only regular files are accepted');
    });

    it('should still refuse a Latin-1 name that climbs out of its folder', async () => {
      const error = await octoFailure(names(rawNameTar([{ name: latin1('../\xe9vasion.csv'), body: 'x' }]), 'bundle.tar'));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toContain('"../évasion.csv" is refused: the path climbs out of its folder');
    });
  });

  describe('in a zip', () => {
    it('should read a name without the UTF-8 flag as CP437, as the zip format says, unless it is valid UTF-8', async () => {
      const zip = rawNameZip([
        { name: latin1('r\x82sum\x82.csv'), body: 'cp437' },
        { name: latin1('\x9a\x81ber.csv'), body: 'cp437 umlauts' },
        { name: Buffer.from('naïve-unflagged.csv'), body: 'utf-8 without the flag' },
        { name: Buffer.from('flagged-ß.csv'), body: 'flagged', utf8Flag: true },
      ]);
      expect(await names(zip, 'bundle.zip')).toEqual({
        'résumé.csv': 'cp437',
        'Üüber.csv': 'cp437 umlauts',
        'naïve-unflagged.csv': 'utf-8 without the flag',
        'flagged-ß.csv': 'flagged',
      });
    });

    it('should prefer an Info-ZIP Unicode Path field whose CRC matches the stored name, and ignore a stale one', async () => {
      const zip = rawNameZip([
        { name: latin1('caf?.csv'), body: 'field wins', unicodePath: 'café.csv' },
        { name: latin1('old\x82.csv'), body: 'stale field', unicodePath: 'renamed.csv', crcOf: latin1('something else') },
      ]);
      expect(await names(zip, 'bundle.zip')).toEqual({ 'café.csv': 'field wins', 'oldé.csv': 'stale field' });
    });

    it('should keep reading what yazl writes (UTF-8, flagged) exactly as before', async () => {
      const zip = new yazl.ZipFile();
      zip.addBuffer(Buffer.from('body'), 'dir/Grüße.csv');
      zip.end();
      expect(await names(await buffer(zip.outputStream as unknown as Readable), 'bundle.zip')).toEqual({ 'dir/Grüße.csv': 'body' });
    });

    it('should refuse an absolute or climbing name and a backslash, as yauzl did when it read the names', async () => {
      for (const [name, reason] of [
        ['/etc/passwd', 'the path is absolute'],
        ['a/../../b.csv', 'climbs out of its folder'],
        ['dir\\file.csv', 'backslash'],
      ] as const) {
        const error = await octoFailure(names(rawNameZip([{ name: Buffer.from(name), body: 'x' }]), 'bundle.zip'));
        expect(error.kind, name).toBe('unsafe');
        expect(error.message, name).toContain(reason);
      }
    });
  });
});
