import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalRemoteSource } from '../adapters/local/local-remote-source.js';
import type { RemoteFile } from '../ports/remote-source.js';
import { afterIngestConfigSchema } from './after-ingest-config-schema.js';
import { applyAfterIngest, companionTarget } from './apply-after-ingest.js';
import { archiveCandidates } from './archive-names.js';
import { outsideArchive } from './outside-archive.js';

const AT = new Date('2026-12-01T06:00:12.345Z');

describe('applyAfterIngest', () => {
  let root: string;
  let source: LocalRemoteSource;
  const file = (p: string, extra: Partial<RemoteFile> & { markerPath?: string } = {}) => ({ path: p, size: 1, mtimeMs: 0, ...extra });
  const listing = async () => (await readdir(root, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => path.relative(root, path.join(entry.parentPath, entry.name))).sort();

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'octo-after-ingest-'));
    source = new LocalRemoteSource(root);
    await mkdir(path.join(root, 'in'), { recursive: true });
    for (const name of ['in/a.csv.gpg', 'in/a.csv.gpg.sig', 'in/a.csv.gpg.done', 'b.csv']) await writeFile(path.join(root, name), name);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should move the file, its .sig and its marker into the archive, keeping sub-folders', async () => {
    const config = afterIngestConfigSchema.parse({ action: 'move', to: 'archive/' });
    const result = await applyAfterIngest(source, file('in/a.csv.gpg', { signaturePath: 'in/a.csv.gpg.sig', markerPath: 'in/a.csv.gpg.done' }), config, AT);
    expect(result).toEqual({ action: 'move', status: 'done', to: 'archive/in/a.csv.gpg' });
    expect(await listing()).toEqual(['archive/in/a.csv.gpg', 'archive/in/a.csv.gpg.done', 'archive/in/a.csv.gpg.sig', 'b.csv']);
  });

  it('should give a name taken in the archive a UTC time suffix before its extensions, and never replace it', async () => {
    await mkdir(path.join(root, 'archive'), { recursive: true });
    await writeFile(path.join(root, 'archive', 'b.csv'), 'archived before');
    const config = afterIngestConfigSchema.parse({ action: 'move', to: 'archive' });
    expect(await applyAfterIngest(source, file('b.csv'), config, AT)).toEqual({ action: 'move', status: 'done', to: 'archive/b-20261201T060012Z.csv' });
    expect(await listing()).toEqual(['archive/b-20261201T060012Z.csv', 'archive/b.csv', 'in/a.csv.gpg', 'in/a.csv.gpg.done', 'in/a.csv.gpg.sig']);
  });

  it('with onCollision: fail, should leave the file in place and say why', async () => {
    await mkdir(path.join(root, 'archive'), { recursive: true });
    await writeFile(path.join(root, 'archive', 'b.csv'), 'archived before');
    const config = afterIngestConfigSchema.parse({ action: 'move', to: 'archive', onCollision: 'fail' });
    expect(await applyAfterIngest(source, file('b.csv'), config, AT)).toEqual({
      action: 'move',
      status: 'failed',
      reason: 'b.csv was ingested but not moved: archive/b.csv already exists (onCollision: fail); it stays in place and is not ingested again',
    });
    expect(await listing()).toContain('b.csv');
  });

  it('should delete the file and its companions, a companion already gone included', async () => {
    const config = afterIngestConfigSchema.parse({ action: 'delete' });
    expect(await applyAfterIngest(source, file('in/a.csv.gpg', { signaturePath: 'in/a.csv.gpg.sig', markerPath: 'in/gone.done' }), config, AT)).toEqual({ action: 'delete', status: 'done' });
    expect(await listing()).toEqual(['b.csv', 'in/a.csv.gpg.done']);
  });

  it('should report, not throw, when the move fails, and leave the file where it was', async () => {
    // A file where the archive folder should be: no folder can be made there.
    await writeFile(path.join(root, 'archive'), 'not a folder');
    const result = await applyAfterIngest(source, file('b.csv'), afterIngestConfigSchema.parse({ action: 'move', to: 'archive' }), AT);
    expect(result).toEqual({ action: 'move', status: 'failed', reason: 'b.csv was ingested but not moved: cannot make the folder archive for b.csv in the drop folder: EEXIST; it stays in place and is not ingested again' });
    expect(await listing()).toContain('b.csv');
  });

  it('should leave a file whose name is not UTF-8, saying so', async () => {
    const result = await applyAfterIngest(source, file('r\u00e9sum\u00e9.csv', { rawPath: 'r%E9sum%E9.csv' }), afterIngestConfigSchema.parse({ action: 'delete' }), AT);
    expect(result).toEqual({ action: 'delete', status: 'failed', reason: 'résumé.csv: its name is not UTF-8, so Octo leaves it on the server: delete it by hand' });
  });
});

describe('archive names', () => {
  it('should try the plain name, then the time-suffixed ones, a dot file keeping its dot', () => {
    expect(archiveCandidates('archive', 'in/report.csv.gpg', AT, true).slice(0, 3)).toEqual(['archive/in/report.csv.gpg', 'archive/in/report-20261201T060012Z.csv.gpg', 'archive/in/report-20261201T060012Z-2.csv.gpg']);
    expect(archiveCandidates('archive', '.hidden', AT, true)[1]).toBe('archive/.hidden-20261201T060012Z');
    expect(archiveCandidates('archive', 'README', AT, false)).toEqual(['archive/README']);
    expect(companionTarget('in/x.csv', 'in/x.csv.sig', 'archive/in/x-20261201T060012Z.csv')).toBe('archive/in/x-20261201T060012Z.csv.sig');
    expect(companionTarget('in/x.csv', 'in/READY', 'archive/in/x.csv')).toBe('archive/in/READY');
  });

  it('should keep discovery out of an archive folder inside the drop', () => {
    const keep = outsideArchive(afterIngestConfigSchema.parse({ action: 'move', to: './archive/' }));
    expect(['archive/a.csv', 'archived.csv', 'in/archive/b.csv'].filter((p) => keep({ path: p, size: 0, mtimeMs: 0 }))).toEqual(['archived.csv', 'in/archive/b.csv']);
  });

  it.each([['/abs'], ['../up'], ['a/../b'], ['']])('should refuse the archive folder %j', (to) => {
    expect(afterIngestConfigSchema.safeParse({ action: 'move', to }).error?.issues[0]?.message).toBe('expected a folder relative to the source root, such as archive or done/acme (no leading /, no . or .. parts)');
  });
});
