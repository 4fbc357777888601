import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectStoreLedger } from '../ledger/object-store-ledger.js';
import { listFiles } from '../../testing/files.js';
import { octoFailure } from '../../testing/expect-failure.js';
import { createTempWorkspace, type TempWorkspace } from '../../testing/temp-workspace.js';
import { discover } from '../../pipeline/discover.js';
import { LocalRemoteSource } from './local-remote-source.js';

/** A path under `dir` whose last parts are raw bytes (written as `latin1` strings, one char per byte). */
const raw = (dir: string, ...latin1Parts: string[]) => Buffer.concat([Buffer.from(dir), ...latin1Parts.flatMap((part) => [Buffer.from('/'), Buffer.from(part, 'latin1')])]);

describe(LocalRemoteSource, () => {
  let dir: string;
  let drop: string;
  let outside: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-local-source-'));
    drop = path.join(dir, 'drop');
    outside = path.join(dir, 'outside');
    await mkdir(drop);
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret.csv'), 'not for the partner\n');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when a name is not valid UTF-8', () => {
    it('should list it by its Windows-1252 reading with the exact bytes kept, and open it by those bytes', async () => {
      await mkdir(raw(drop, 'd\xe9p\xf4t'));
      await writeFile(raw(drop, 'd\xe9p\xf4t', 'r\xe9sum\xe9 \x80.csv'), 'latin-1 bytes\n');
      await writeFile(path.join(drop, 'plain.csv'), 'utf-8\n');
      const source = new LocalRemoteSource(drop);
      const files = await discover(source);
      expect(files.map(({ path: p, rawPath }) => ({ path: p, rawPath }))).toEqual([
        { path: 'dépôt/résumé €.csv', rawPath: 'd%E9p%F4t/r%E9sum%E9%20%80.csv' },
        { path: 'plain.csv', rawPath: undefined },
      ]);
      expect((await buffer(await source.open(files[0]!))).toString()).toBe('latin-1 bytes\n');
    });

    it('should keep two names that differ only in invalid bytes apart', async () => {
      await writeFile(raw(drop, 'a\xe9.csv'), 'e acute\n');
      await writeFile(raw(drop, 'a\xe8.csv'), 'e grave\n');
      const source = new LocalRemoteSource(drop);
      const files = await discover(source);
      expect(files.map((file) => file.path)).toEqual(['aè.csv', 'aé.csv']);
      expect(files.every((file) => file.refused === undefined)).toBe(true);
      expect((await buffer(await source.open(files[1]!))).toString()).toBe('e acute\n');
      expect(ObjectStoreLedger.keyFor('p', files[0]!)).not.toBe(ObjectStoreLedger.keyFor('p', files[1]!));
    });

    it('should refuse a Latin-1 name that reads like a UTF-8 name in the same drop, naming both, and keep the UTF-8 one', async () => {
      await writeFile(raw(drop, 'caf\xe9.csv'), 'one\n');
      await writeFile(path.join(drop, 'café.csv'), 'two\n');
      // Same size and time: only the bytes of the name can tell their ledger records apart.
      const when = new Date('2026-11-01T00:00:00Z');
      await utimes(raw(drop, 'caf\xe9.csv'), when, when);
      await utimes(path.join(drop, 'café.csv'), when, when);
      const files = await discover(new LocalRemoteSource(drop));
      expect(files).toHaveLength(2);
      const [utf8, latin1] = files.sort((a, b) => Number(a.rawPath !== undefined) - Number(b.rawPath !== undefined));
      expect(utf8?.path).toBe('café.csv');
      expect(utf8?.refused).toBeUndefined();
      expect(latin1?.path).toBe('café.csv');
      expect(latin1?.refused).toBe(
        'its name is not UTF-8 (bytes caf%E9.csv) and reads as "café.csv" in Windows-1252, the same as another file in the drop; ask the provider to rename one of them',
      );
      // The ledger tells them apart by their bytes, so neither can pass for the other.
      expect(ObjectStoreLedger.keyFor('p', utf8!)).not.toBe(ObjectStoreLedger.keyFor('p', latin1!));
    });

    it('should pair a signature whose name is not UTF-8 and read it by its bytes', async () => {
      await writeFile(raw(drop, 'r\xe9sum\xe9.csv'), 'data\n');
      await writeFile(raw(drop, 'r\xe9sum\xe9.csv.sig'), 'signature\n');
      const source = new LocalRemoteSource(drop);
      const [file, ...rest] = await discover(source);
      expect(rest).toEqual([]);
      expect(file).toMatchObject({ path: 'résumé.csv', signaturePath: 'résumé.csv.sig', signatureRawPath: 'r%E9sum%E9.csv.sig' });
      expect((await source.readSmall(file!.signaturePath!, 1024, file!.signatureRawPath)).toString()).toBe('signature\n');
    });
  });

  describe('when the drop holds symbolic links', () => {
    it('should list a link out of the drop and a link inside it as refused, never follow them, and walk no linked folder', async () => {
      await writeFile(path.join(drop, 'real.csv'), 'real\n');
      await symlink(path.join(outside, 'secret.csv'), path.join(drop, 'escape.csv'));
      await symlink(path.join(drop, 'real.csv'), path.join(drop, 'again.csv'));
      await symlink(outside, path.join(drop, 'linked-folder'));
      await symlink(path.join(dir, 'missing.csv'), path.join(drop, 'dangling.csv'));
      const source = new LocalRemoteSource(drop);
      const files = await discover(source);
      expect(Object.fromEntries(files.map((file) => [file.path, file.refused]))).toEqual({
        'again.csv': 'is a symbolic link to another file in the drop, which is ingested under its own name; links in a file:// drop are never followed: put the file itself in the drop',
        'dangling.csv': 'is a symbolic link to nothing that exists; links in a file:// drop are never followed: put the file itself in the drop',
        'escape.csv': 'is a symbolic link outside the drop folder; links in a file:// drop are never followed: put the file itself in the drop',
        'linked-folder': 'is a symbolic link outside the drop folder; links in a file:// drop are never followed: put the file itself in the drop',
        'real.csv': undefined,
      });
      // Even asked directly, the source does not read through the link.
      const error = await octoFailure(source.open(files.find((file) => file.path === 'escape.csv')!));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('escape.csv is a symbolic link; links in a file:// drop are never followed: put the file itself in the drop');
      expect(error.message).not.toContain(dir);
    });

    it('should refuse a file reached through a folder that became a link after the listing', async () => {
      await mkdir(path.join(drop, 'in'));
      await writeFile(path.join(drop, 'in', 'secret.csv'), 'in the drop\n');
      const source = new LocalRemoteSource(drop);
      const [listed] = await discover(source);
      await rm(path.join(drop, 'in'), { recursive: true });
      await symlink(outside, path.join(drop, 'in'));
      const error = await octoFailure(source.open(listed!));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe('in/secret.csv is reached through a symbolic link out of the drop folder; links are never followed');
    });

    it('should refuse a data file whose signature is a link', async () => {
      await writeFile(path.join(drop, 'a.csv'), 'a\n');
      await symlink(path.join(outside, 'secret.csv'), path.join(drop, 'a.csv.sig'));
      const [file, ...rest] = await discover(new LocalRemoteSource(drop));
      expect(rest).toEqual([]);
      expect(file?.refused).toBe('its signature is a symbolic link outside the drop folder; links in a file:// drop are never followed: put the file itself in the drop');
    });
  });

  describe('when asked for a path that leaves the drop', () => {
    it.each(['../outside/secret.csv', 'a/../../outside/secret.csv', '/etc/passwd', 'a//b.csv'])('should refuse %j as unsafe', async (bad) => {
      const error = await octoFailure(new LocalRemoteSource(drop).open({ path: bad, size: 1, mtimeMs: 0 }));
      expect(error.kind).toBe('unsafe');
      expect(error.message).toBe(`${bad} is outside the source folder`);
    });
  });
});

describe('LocalRemoteSource in a sync job', () => {
  let w: TempWorkspace;

  beforeEach(async () => {
    w = await createTempWorkspace({ providerConfig: { source: { url: 'file://drop/plain', stabilityCheckMs: 20 } } });
  });

  afterEach(async () => {
    await w.cleanup();
  });

  it('should land a Latin-1 named file under its Windows-1252 reading, record its bytes in the ledger, and fail the links alone', async () => {
    const outside = path.join(w.dir, 'outside.csv');
    await writeFile(outside, 'secret\n');
    await writeFile(raw(w.dropDir, 'r\xe9sum\xe9.csv'), 'id\n1\n');
    await symlink(outside, path.join(w.dropDir, 'escape.csv'));
    await symlink(raw(w.dropDir, 'r\xe9sum\xe9.csv'), path.join(w.dropDir, 'inside.csv'));

    const runtime = await w.runtime();
    const summary = await (await runtime.jobs.start('plain')).done;

    expect([summary.total, summary.succeeded, summary.failed]).toEqual([3, 1, 2]);
    const failed = Object.fromEntries(summary.files.flatMap((file) => (file.status === 'failed' ? [[file.path, `${file.kind}: ${file.reason}`]] : [])));
    expect(failed).toEqual({
      'escape.csv': 'unsafe: escape.csv is a symbolic link outside the drop folder; links in a file:// drop are never followed: put the file itself in the drop',
      'inside.csv': 'unsafe: inside.csv is a symbolic link to another file in the drop, which is ingested under its own name; links in a file:// drop are never followed: put the file itself in the drop',
    });
    expect(await listFiles(path.join(w.bucketDir, 'data'))).toEqual(['csv/plain/résumé.csv']);
    expect(await readFile(path.join(w.bucketDir, 'data/csv/plain/résumé.csv'), 'utf8')).toBe('id\n1\n');
    const records = await listFiles(path.join(w.bucketDir, '_octo/ledger/plain'));
    expect(records).toHaveLength(1);
    const record = JSON.parse(await readFile(path.join(w.bucketDir, '_octo/ledger/plain', records[0]!), 'utf8'));
    expect(record).toMatchObject({ path: 'résumé.csv', rawPath: 'r%E9sum%E9.csv', outputs: [{ key: 'data/csv/plain/résumé.csv' }] });
    // A second run finds the Latin-1 file done and only the links pending.
    const again = await (await runtime.jobs.start('plain')).done;
    expect([again.total, again.failed]).toEqual([2, 2]);
  });

  it('should not let a UTF-8 file that arrives later pass for the Latin-1 file whose key it would take', async () => {
    await writeFile(raw(w.dropDir, 'caf\xe9.csv'), 'latin-1 first\n');
    const runtime = await w.runtime();
    expect((await (await runtime.jobs.start('plain')).done).succeeded).toBe(1);
    await writeFile(path.join(w.dropDir, 'café.csv'), 'utf-8 later\n');
    const later = await (await runtime.jobs.start('plain')).done;
    expect(later.files.map((file) => [file.path, file.status, file.status === 'failed' ? file.reason : ''])).toEqual([
      [
        'café.csv',
        'failed',
        'café.csv: its output data/csv/plain/café.csv already belongs to café.csv (bytes caf%E9.csv), another source file; nothing of this file was landed: rename one of them at the source, change the folder rule, or set conflicts: keep-both on the provider to land both',
      ],
    ]);
    expect(await readFile(path.join(w.bucketDir, 'data/csv/plain/café.csv'), 'utf8')).toBe('latin-1 first\n');
  });

  it('should tell a UTF-8 and a Latin-1 name that read alike apart through the stability check, landing one and refusing the other', async () => {
    await writeFile(raw(w.dropDir, 'caf\xe9.csv'), 'latin-1 bytes, longer\n');
    await writeFile(path.join(w.dropDir, 'café.csv'), 'utf-8\n');
    const summary = await (await (await w.runtime()).jobs.start('plain')).done;
    const results = summary.files.map((file) => [file.path, file.status, file.status === 'failed' ? file.reason : file.outputs.map((output) => output.key)]);
    expect(results.sort((a, b) => String(a[1]).localeCompare(String(b[1])))).toEqual([
      ['café.csv', 'done', ['data/csv/plain/café.csv']],
      [
        'café.csv',
        'failed',
        'café.csv its name is not UTF-8 (bytes caf%E9.csv) and reads as "café.csv" in Windows-1252, the same as another file in the drop; ask the provider to rename one of them',
      ],
    ]);
    expect(await readFile(path.join(w.bucketDir, 'data/csv/plain/café.csv'), 'utf8')).toBe('utf-8\n');
  });
});
