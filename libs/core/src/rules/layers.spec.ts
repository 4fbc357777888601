import { describe, expect, it } from 'vitest';
import { outerUnpackLayer, planLayers, sniff, unreadableFormat } from './layers.js';

describe('planLayers', () => {
  it.each([
    ['report.csv.gz.gpg', ['pgp', 'gzip'], 'report.csv', false],
    ['report.CSV.GZ.PGP', ['pgp', 'gzip'], 'report.CSV', false],
    ['bundle.tar.gz.pgp', ['pgp', 'gzip', 'tar'], 'bundle', true],
    ['bundle.tgz', ['gzip', 'tar'], 'bundle', true],
    ['archive.zip.asc', ['pgp', 'zip'], 'archive', true],
    ['plain.xml', [], 'plain.xml', false],
    ['statement.pdf.gpg', ['pgp'], 'statement.pdf', false],
    ['.gz', [], '.gz', false],
    ['report.csv.bz2.gpg', ['pgp', 'bzip2'], 'report.csv', false],
    ['report.csv.XZ', ['xz'], 'report.csv', false],
    ['report.csv.zst.pgp', ['pgp', 'zstd'], 'report.csv', false],
    ['bundle.tar.bz2', ['bzip2', 'tar'], 'bundle', true],
    ['bundle.tbz2.gpg', ['pgp', 'bzip2', 'tar'], 'bundle', true],
    ['bundle.tbz', ['bzip2', 'tar'], 'bundle', true],
    ['bundle.tar.xz', ['xz', 'tar'], 'bundle', true],
    ['bundle.txz', ['xz', 'tar'], 'bundle', true],
    ['bundle.tar.zst', ['zstd', 'tar'], 'bundle', true],
    ['bundle.tzst', ['zstd', 'tar'], 'bundle', true],
  ])('when the name is %s, should peel %j and leave %s', (name, layers, outputName, archive) => {
    expect(planLayers(name)).toEqual({ layers, outputName, archive });
  });

  it('should not take a substring for an extension', () => {
    expect(planLayers('my.gzip.notes.csv').layers).toEqual([]);
    expect(planLayers('gpg-report.csv').layers).toEqual([]);
  });

  it('should decrypt only the outermost OpenPGP layer', () => {
    expect(planLayers('key.asc.gpg')).toEqual({ layers: ['pgp'], outputName: 'key.asc', archive: false });
  });
});

describe('outerUnpackLayer', () => {
  it('should turn .tgz into gzip over a .tar', () => {
    expect(outerUnpackLayer('x.tgz')).toEqual({ layer: 'gzip', inner: 'x.tar' });
    expect(outerUnpackLayer('x.tar.gz')).toEqual({ layer: 'gzip', inner: 'x.tar' });
    expect(outerUnpackLayer('x.csv')).toBeUndefined();
  });

  it('should turn .txz, .tbz2 and .tar.zst into their compression over a .tar', () => {
    expect(outerUnpackLayer('x.txz')).toEqual({ layer: 'xz', inner: 'x.tar' });
    expect(outerUnpackLayer('x.tbz2')).toEqual({ layer: 'bzip2', inner: 'x.tar' });
    expect(outerUnpackLayer('x.tar.zst')).toEqual({ layer: 'zstd', inner: 'x.tar' });
    expect(outerUnpackLayer('x.csv.bz2')).toEqual({ layer: 'bzip2', inner: 'x.csv' });
  });
});

describe('unreadableFormat', () => {
  it('should name the formats Octo knows of but does not read, by extension, case-insensitively', () => {
    expect(unreadableFormat('a.7z')).toBe('a 7-Zip archive');
    expect(unreadableFormat('a.RAR')).toBe('a RAR archive');
    expect(unreadableFormat('a.tar.Z')).toBe('Unix compress (.Z) data');
    expect(unreadableFormat('a.csv.gz')).toBeUndefined();
    expect(unreadableFormat('a.zip')).toBeUndefined();
    expect(unreadableFormat('.7z')).toBeUndefined();
  });
});

describe('sniff', () => {
  it('should recognise gzip, zip, tar and OpenPGP by their first bytes', () => {
    expect(sniff(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(sniff(Buffer.from('PK\u0003\u0004rest', 'latin1'))).toBe('zip');
    const tar = Buffer.alloc(512);
    tar.write('ustar', 257, 'latin1');
    expect(sniff(tar)).toBe('tar');
    expect(sniff(Buffer.from('\n-----BEGIN PGP MESSAGE-----\n'))).toBe('pgp-armored');
    expect(sniff(Buffer.from([0xc1, 0x5e]))).toBe('pgp-binary'); // new-format PKESK (tag 1)
    expect(sniff(Buffer.from([0x8c, 0x0d]))).toBe('pgp-binary'); // old-format SKESK (tag 3)
    expect(sniff(Buffer.from('BZh91AY&SY', 'latin1'))).toBe('bzip2');
    expect(sniff(Buffer.from('BZh0', 'latin1'))).toBe('unknown'); // no block size 0
    expect(sniff(Buffer.from('fd377a585a000004', 'hex'))).toBe('xz');
    expect(sniff(Buffer.from('28b52ffd0458', 'hex'))).toBe('zstd');
    expect(sniff(Buffer.from('id,amount\n'))).toBe('unknown');
    expect(sniff(Buffer.alloc(0))).toBe('unknown');
  });
});
