import { execFile } from 'node:child_process';
import { mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RemoteFile, RemoteSource } from '../ports/remote-source.js';
import { deterministicBytes } from './big-file.js';
import { octoFailure } from './expect-failure.js';
import { sha256 } from './files.js';

/** How a contract run gets sources of one adapter over folders on this machine (an sshd serves them too). */
export interface RemoteSourceHarness {
  /** A folder the adapter can serve; the suite writes its drops below it and removes them after. */
  root(): Promise<string>;
  /** A source over `root/<folder>` (`folder` is `/`-separated, relative). */
  create(folder: string, options: { recursive: boolean }): RemoteSource;
  /** Releases what the harness started; called once after the suite. */
  dispose?(): Promise<void>;
}

const execFileAsync = promisify(execFile);

/** Every file's modification time in the drops: a whole second, so sources of second precision (SFTP) report it exactly. */
const MTIME = new Date('2026-11-02T06:30:00Z');

/** A listing in path order: the port promises no order (discovery sorts what it takes). */
const byPath = (files: readonly RemoteFile[]) => [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/** A path under `dir` whose parts are raw bytes (given as `latin1` strings, one char per byte). */
const rawPath = (dir: string, ...latin1Parts: string[]) => Buffer.concat([Buffer.from(dir), ...latin1Parts.flatMap((part) => [Buffer.from('/'), Buffer.from(part, 'latin1')])]);

/**
 * The cases every {@link RemoteSource} adapter must pass the same way (as rclone's fstests run
 * every backend): what a listing holds (paths, sizes, times, names as bytes), reads of whole
 * files and of ranges, small reads and their limit, and the errors of files that are not there.
 * Discovery rules on top of a listing (signature pairing, minimum age) are not a source's own.
 */
export function remoteSourceContract(adapter: string, harness: RemoteSourceHarness): void {
  describe(`${adapter} (RemoteSource contract)`, () => {
    let root: string;
    const sources: RemoteSource[] = [];
    let big: Buffer;

    function source(folder: string, recursive = true): RemoteSource {
      const created = harness.create(folder, { recursive });
      sources.push(created);
      return created;
    }

    /** Writes `files` (path -> bytes) under `root/folder`, every one with the same mtime. */
    async function drop(folder: string, files: Record<string, Buffer | string>): Promise<void> {
      for (const [name, bytes] of Object.entries(files)) {
        const file = path.join(root, folder, name);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, bytes);
        await utimes(file, MTIME, MTIME);
      }
    }

    beforeAll(async () => {
      root = await harness.root();
      big = await buffer(deterministicBytes(3 * 1024 * 1024 + 17, 'contract'));
      await drop('listing', { 'b.csv': 'id\n1\n', 'a.txt': '', 'in/c.xml': '<c/>', 'in/deep/d e.pdf': '%PDF-1.7\n', 'über größe.csv': 'ü\n' });
      await drop('reads', { 'big.bin': big, 'empty.txt': '', 'notes.txt': 'fifteen bytes!\n' });
      await mkdir(path.join(root, 'empty'), { recursive: true });
    }, 120_000);

    afterAll(async () => {
      for (const created of sources) await created.close();
      for (const folder of ['listing', 'reads', 'empty', 'latin1', 'gone', 'changes', 'specials']) await rm(path.join(root, folder), { recursive: true, force: true });
      await harness.dispose?.();
    });

    describe('when listing', () => {
      it('should list every file below the root with its relative path, size and mtime', async () => {
        const files = byPath(await source('listing').list());
        expect(files.map(({ path: p, size, mtimeMs, rawPath: raw }) => ({ path: p, size, mtimeMs, raw }))).toEqual([
          { path: 'a.txt', size: 0, mtimeMs: MTIME.getTime(), raw: undefined },
          { path: 'b.csv', size: 5, mtimeMs: MTIME.getTime(), raw: undefined },
          { path: 'in/c.xml', size: 4, mtimeMs: MTIME.getTime(), raw: undefined },
          { path: 'in/deep/d e.pdf', size: 9, mtimeMs: MTIME.getTime(), raw: undefined },
          { path: 'über größe.csv', size: 3, mtimeMs: MTIME.getTime(), raw: undefined },
        ]);
      });

      it('should list only the top folder when not recursive', async () => {
        expect(byPath(await source('listing', false).list()).map((file) => file.path)).toEqual(['a.txt', 'b.csv', 'über größe.csv']);
      });

      it('should list an empty drop as no files', async () => {
        expect(await source('empty').list()).toEqual([]);
      });

      it('should fail the listing of a drop that does not exist as a fatal source error naming the source, not a local path', async () => {
        const missing = source('no-such-drop');
        const error = await octoFailure(missing.list());
        expect(error.kind).toBe('source');
        expect(error.fatal).toBe(true);
        expect(error.message).toContain(`cannot list ${missing.description}`);
        expect(error.message.replace(missing.description, '')).not.toContain(root);
      });

      it('should list a name that is not UTF-8 by its Windows-1252 reading, keep its bytes, and open it by them', async () => {
        await mkdir(rawPath(root, 'latin1', 'd\xe9p\xf4t'), { recursive: true });
        await writeFile(rawPath(root, 'latin1', 'd\xe9p\xf4t', 'r\xe9sum\xe9.csv'), 'latin-1 name\n');
        await writeFile(rawPath(root, 'latin1', 'a\xe9.csv'), 'e acute\n');
        await writeFile(rawPath(root, 'latin1', 'a\xe8.csv'), 'e grave\n');
        const latin1 = source('latin1');
        const files = byPath(await latin1.list());
        expect(files.map(({ path: p, rawPath: raw, size }) => ({ path: p, raw, size }))).toEqual([
          { path: 'aè.csv', raw: 'a%E8.csv', size: 8 },
          { path: 'aé.csv', raw: 'a%E9.csv', size: 8 },
          { path: 'dépôt/résumé.csv', raw: 'd%E9p%F4t/r%E9sum%E9.csv', size: 13 },
        ]);
        const [grave, acute, resume] = files as [RemoteFile, RemoteFile, RemoteFile];
        expect((await buffer(await latin1.open(acute))).toString()).toBe('e acute\n');
        expect((await buffer(await latin1.open(resume))).toString()).toBe('latin-1 name\n');
        expect((await latin1.readSmall(grave.path, 64, grave.rawPath)).toString()).toBe('e grave\n');
      });

      it('should list a link to nothing and a named pipe as refused, saying why, and never as a file to read', async () => {
        await drop('specials', { 'real.csv': 'id\n1\n' });
        await symlink(path.join(root, 'specials', 'missing.csv'), path.join(root, 'specials', 'dangling.csv'));
        await symlink('loop-b.csv', path.join(root, 'specials', 'loop-a.csv'));
        await symlink('loop-a.csv', path.join(root, 'specials', 'loop-b.csv'));
        await execFileAsync('mkfifo', [path.join(root, 'specials', 'pipe.csv')]);
        const files = byPath(await source('specials').list());
        expect(files.map((file) => file.path)).toEqual(['dangling.csv', 'loop-a.csv', 'loop-b.csv', 'pipe.csv', 'real.csv']);
        const refused = Object.fromEntries(files.map((file) => [file.path, file.refused]));
        expect(refused['real.csv']).toBeUndefined();
        for (const link of ['dangling.csv', 'loop-a.csv', 'loop-b.csv']) expect(refused[link], link).toMatch(/^is a symbolic link to nothing .*: .*put the file itself/);
        expect(refused['pipe.csv']).toMatch(/^is not a regular file \(a named pipe, socket or device\), so it holds no delivery: .*remove it/);
        for (const message of Object.values(refused)) expect(message ?? '').not.toContain(root);
      });
    });

    describe('when reading', () => {
      const listed = async (name: string): Promise<[RemoteSource, RemoteFile]> => {
        const reads = source('reads');
        const file = (await reads.list()).find((entry) => entry.path === name);
        if (!file) throw new Error(`${name} was not listed`);
        return [reads, file];
      };

      it('should stream a whole file byte for byte, as many bytes as listed', async () => {
        const [reads, file] = await listed('big.bin');
        const bytes = await buffer(await reads.open(file));
        expect(file.size).toBe(big.length);
        expect(bytes.length).toBe(big.length);
        expect(sha256(bytes)).toBe(sha256(big));
      });

      it('should stream from an offset to the end', async () => {
        const [reads, file] = await listed('big.bin');
        for (const offset of [1, 1_000_000, big.length - 1]) {
          expect(sha256(await buffer(await reads.open(file, { offset })))).toBe(sha256(big.subarray(offset)));
        }
      });

      it('should stream an empty file as no bytes', async () => {
        const [reads, file] = await listed('empty.txt');
        expect((await buffer(await reads.open(file))).length).toBe(0);
      });

      it('should read a small file whole, and refuse one over the limit naming both sizes', async () => {
        const [reads] = await listed('notes.txt');
        expect((await reads.readSmall('notes.txt', 1024)).toString()).toBe('fifteen bytes!\n');
        expect((await reads.readSmall('notes.txt', 15)).toString()).toBe('fifteen bytes!\n');
        const error = await octoFailure(reads.readSmall('notes.txt', 4));
        expect([error.kind, error.message]).toEqual(['source', 'notes.txt is 15 bytes, more than the 4 expected']);
      });

      it('should fail to open a file that is gone since the listing, as a source error naming it and no other local path', async () => {
        await drop('gone', { 'soon-gone.csv': 'x\n', 'stays.csv': 'y\n' });
        const gone = source('gone');
        const [file, stays] = byPath(await gone.list()) as [RemoteFile, RemoteFile];
        expect([file.path, stays.path]).toEqual(['soon-gone.csv', 'stays.csv']);
        await rm(path.join(root, 'gone', 'soon-gone.csv'));
        const error = await octoFailure(gone.open(file).then((stream) => buffer(stream)));
        expect(error.kind).toBe('source');
        expect(error.message).toContain('soon-gone.csv');
        // The source's own description may name its folder; nothing else may.
        expect(error.message.replace(gone.description, '')).not.toContain(root);
        const small = await octoFailure(gone.readSmall('soon-gone.csv.sig', 1024));
        expect(small.kind).toBe('source');
        expect(small.message).toContain('soon-gone.csv.sig');
        expect((await buffer(await gone.open(stays))).toString()).toBe('y\n');
      });

      it('should allow close more than once', async () => {
        const [reads] = await listed('notes.txt');
        await reads.close();
        await reads.close();
      });
    });

    // What afterIngest asks of a source: move into a folder without ever replacing, and delete.
    describe('when moving and deleting', () => {
      const changes = async (files: Record<string, string>): Promise<RemoteSource> => {
        await rm(path.join(root, 'changes'), { recursive: true, force: true });
        await drop('changes', files);
        return source('changes');
      };
      const contents = async (changed: RemoteSource) =>
        Promise.all(byPath(await changed.list()).map(async (file) => [file.path, (await buffer(await changed.open(file))).toString()]));

      it('should move a file into a folder it makes, keeping its bytes', async () => {
        const changed = await changes({ 'in/a.csv': 'a\n', 'b.csv': 'b\n' });
        expect(await changed.rename?.('in/a.csv', 'archive/in/a.csv')).toBe(true);
        expect(await contents(changed)).toEqual([
          ['archive/in/a.csv', 'a\n'],
          ['b.csv', 'b\n'],
        ]);
      });

      it('should never move over an existing file: false, and both files unchanged', async () => {
        const changed = await changes({ 'a.csv': 'new\n', 'archive/a.csv': 'archived\n' });
        expect(await changed.rename?.('a.csv', 'archive/a.csv')).toBe(false);
        expect(await contents(changed)).toEqual([
          ['a.csv', 'new\n'],
          ['archive/a.csv', 'archived\n'],
        ]);
      });

      it('should fail to move a file that is not there as a source error naming it', async () => {
        const changed = await changes({ 'a.csv': 'a\n' });
        const error = await octoFailure(changed.rename?.('missing.csv', 'archive/missing.csv') ?? Promise.resolve());
        expect(error.kind).toBe('source');
        expect(error.message).toContain('missing.csv');
      });

      it('should delete a file, and take a file already gone as deleted', async () => {
        const changed = await changes({ 'a.csv': 'a\n', 'b.csv': 'b\n' });
        await changed.remove?.('a.csv');
        await changed.remove?.('never-there.csv');
        expect(await contents(changed)).toEqual([['b.csv', 'b\n']]);
      });

      it('should refuse paths that leave the root', async () => {
        const changed = await changes({ 'a.csv': 'a\n' });
        expect((await octoFailure(changed.rename?.('a.csv', '../escaped.csv') ?? Promise.resolve())).kind).toBe('unsafe');
        expect((await octoFailure(changed.remove?.('../a.csv') ?? Promise.resolve())).kind).toBe('unsafe');
      });
    });
  });
}
