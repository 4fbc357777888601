import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FileContext } from '@octo/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DatedFolderNamer } from './dated-folder-namer.js';
import { OsJunkFileHandler } from './os-junk-file-handler.js';
import { sampleFiles, writeSampleDrop } from './seed/sample-drop.js';
import { SeedingRemoteSource } from './seed/seeding-remote-source.js';

const context = (name: string): FileContext => ({ provider: 'example', jobId: 'j', file: { path: `in/${name}`, size: 1, mtimeMs: 1 } });

describe(DatedFolderNamer, () => {
  const namer = new DatedFolderNamer();

  it.each([
    ['statements_20261101.csv.gpg', 'example/2026-11-01'],
    ['report-2026-02-28.pdf', 'example/2026-02-28'],
    ['no-date.csv', 'example/undated'],
    ['id_12345678.csv', 'example/undated'],
    ['x_20261301.csv', 'example/undated'],
    ['x_20260229.csv', 'example/undated'],
  ])('when the source is %s, should use %s', (name, folder) => {
    expect(namer.folderFor({ name: 'any.csv' }, context(name))).toBe(folder);
  });
});

describe(OsJunkFileHandler, () => {
  const handler = new OsJunkFileHandler();
  const entry = (name: string) => ({ name, stream: Readable.from([]) });

  it('should take every file the globs take', () => {
    expect(handler.accepts()).toBe(true);
  });

  it('should drop OS junk inside archives and keep the rest as it is', () => {
    const handling = handler.begin();
    expect(handling.entry?.(entry('__MACOSX/._a.csv'))).toBeUndefined();
    expect(handling.entry?.(entry('dir/.DS_Store'))).toBeUndefined();
    expect(handling.entry?.(entry('dir/Thumbs.db'))).toBeUndefined();
    const kept = entry('dir/a.csv');
    expect(handling.entry?.(kept)).toBe(kept);
  });
});

describe('the sample drop', () => {
  const dirs: string[] = [];
  afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

  it('should hold every kind of file the quick start shows', () => {
    const names = sampleFiles().map((s) => s.file);
    expect(names.some((n) => n.endsWith('.tar.gz.pgp'))).toBe(true);
    expect(names.some((n) => n.endsWith('.zip.gpg'))).toBe(true);
    expect(names.some((n) => n.endsWith('.csv.gz.gpg'))).toBe(true);
    expect(names.some((n) => n.endsWith('.asc'))).toBe(true);
    expect(names.some((n) => !/\.(gpg|pgp|asc|gz)$/.test(n))).toBe(true);
    const outputs = sampleFiles().flatMap((s) => Object.keys(s.outputs));
    for (const ext of ['.csv', '.pdf', '.xml', '.txt']) expect(outputs.some((o) => o.endsWith(ext))).toBe(true);
  });

  it('should have the same plaintext every time', () => {
    expect(sampleFiles()).toEqual(sampleFiles());
    expect(sampleFiles()[0]!.outputs['statements_20261101.csv']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('should be seeded on first listing only', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-seed-'));
    dirs.push(dir);
    const drop = path.join(dir, 'drop');
    const source = new SeedingRemoteSource(drop);
    const listed = await source.list();
    expect(listed.map((f) => f.path).sort()).toEqual(sampleFiles().map((s) => s.file).sort());
    await rm(path.join(drop, listed[0]!.path));
    expect(await source.list()).toHaveLength(listed.length - 1);
  });

  it('should write the files with a fixed mtime so the ledger recognises them', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'octo-seed-'));
    dirs.push(dir);
    await writeSampleDrop(dir);
    const listed = await new SeedingRemoteSource(dir).list();
    expect(new Set(listed.map((f) => f.mtimeMs))).toEqual(new Set([Date.parse('2026-11-08T06:00:00Z')]));
    expect((await readdir(dir)).length).toBe(8);
  });
});
