import { constants } from 'node:fs';
import { link, lstat, mkdir, open, readdir, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { OctoError } from '../../errors/octo-error.js';
import type { ListOptions, RemoteFile, RemoteSource } from '../../ports/remote-source.js';
import { sourcePathBytes, sourcePathOf } from '../../rules/source-path.js';

const SLASH = Buffer.from('/');

/**
 * A provider drop that is a folder on this machine (the embedded default, and tests).
 * Names are read as bytes, so a file whose name is not UTF-8 is listed and opened too
 * (see {@link sourcePathOf}). Symbolic links are never followed: each is listed as refused,
 * and a file is opened without following a link, inside the drop folder only.
 */
export class LocalRemoteSource implements RemoteSource {
  readonly description: string;

  constructor(
    private readonly root: string,
    private readonly options: { recursive?: boolean } = {},
  ) {
    this.description = `file://${root}`;
  }

  async list(_options?: ListOptions): Promise<RemoteFile[]> {
    const found: RemoteFile[] = [];
    const realRoot = await realpath(this.root).catch((error: unknown) => {
      throw this.listError(error);
    });
    await this.walk(Buffer.from(this.root), [], realRoot, found);
    return found;
  }

  async open(file: RemoteFile, options: { offset?: number } = {}): Promise<Readable> {
    try {
      const handle = await this.openInside(file.path, file.rawPath);
      return handle.createReadStream({ start: options.offset ?? 0, highWaterMark: 256 * 1024 });
    } catch (error) {
      if (OctoError.is(error)) throw error;
      throw new OctoError('source', `cannot open ${file.path} in ${this.description}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
  }

  async readSmall(filePath: string, maxBytes: number, rawPath?: string): Promise<Buffer> {
    const handle = await this.openInside(filePath, rawPath);
    try {
      const info = await handle.stat();
      if (info.size > maxBytes) throw new OctoError('source', `${filePath} is ${info.size} bytes, more than the ${maxBytes} expected`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  /** A hard link then an unlink: `link` refuses an existing target atomically, as OpenSSH's rename does. */
  async rename(from: string, to: string): Promise<boolean> {
    const [source, target] = [this.inside(from), this.inside(to)];
    await mkdir(path.dirname(target), { recursive: true }).catch((error: unknown) => {
      throw this.changeError(`make the folder ${path.posix.dirname(to)} for ${from}`, error);
    });
    try {
      await link(source, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw this.changeError(`move ${from} to ${to}`, error);
    }
    await unlink(source).catch((error: unknown) => {
      throw this.changeError(`remove ${from} after linking it as ${to}`, error);
    });
    return true;
  }

  async remove(file: string): Promise<void> {
    await unlink(this.inside(file)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.changeError(`delete ${file}`, error);
    });
  }

  async close(): Promise<void> {
    // Nothing to release: files are opened per read.
  }

  /** A UTF-8 relative path under the root, refusing one that climbs out. */
  private inside(relative: string): string {
    if (relative.startsWith('/') || relative.split('/').some((part) => part === '' || part === '.' || part === '..' || part.includes('\0'))) {
      throw new OctoError('unsafe', `${relative} is not a path inside the source folder`);
    }
    return path.join(this.root, relative);
  }

  private changeError(what: string, error: unknown): OctoError {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? ' (permission denied: the drop folder is not writable by octo)' : code === 'ENOENT' ? ' (no such file)' : '';
    return new OctoError('source', `cannot ${what} in the drop folder: ${code ?? String(error)}${hint}`, { cause: error });
  }

  /** Lists one folder by its raw bytes; `segments` are the raw names from the root down to it. */
  private async walk(dir: Buffer, segments: readonly Buffer[], realRoot: string, found: RemoteFile[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      if (segments.length === 0) throw this.listError(error);
      return; // A sub-folder that vanished or is unreadable: its files wait for a later run.
    }
    for (const entry of entries) {
      const name = entry.name as unknown as Buffer;
      const full = Buffer.concat([dir, SLASH, name]);
      const here = [...segments, name];
      if (entry.isDirectory()) {
        if (this.options.recursive ?? true) await this.walk(full, here, realRoot, found);
        continue;
      }
      if (entry.isSymbolicLink()) {
        const info = await lstat(full).catch(() => undefined);
        if (info) found.push({ ...sourcePathOf(here), size: 0, mtimeMs: Math.floor(info.mtimeMs), refused: await this.linkRefusal(full, realRoot) });
        continue;
      }
      const info = await lstat(full).catch(() => undefined);
      if (!info) continue; // Gone since the folder was read.
      if (!info.isFile()) {
        // A named pipe would never end a read, a device never holds a delivery: said, never opened.
        found.push({ ...sourcePathOf(here), size: 0, mtimeMs: Math.floor(info.mtimeMs), refused: 'is not a regular file (a named pipe, socket or device), so it holds no delivery: remove it from the drop' });
        continue;
      }
      found.push({ ...sourcePathOf(here), size: info.size, mtimeMs: Math.floor(info.mtimeMs) });
    }
  }

  /** Why a link is not followed, without showing where it points (it may be a local absolute path). */
  private async linkRefusal(link: Buffer, realRoot: string): Promise<string> {
    const target = await realpath(link).catch(() => undefined);
    const inside = target !== undefined && target.startsWith(realRoot + path.sep);
    const where = inside
      ? 'to another file in the drop, which is ingested under its own name'
      : target === undefined
        ? 'to nothing that exists'
        : 'outside the drop folder';
    return `is a symbolic link ${where}; links in a file:// drop are never followed: put the file itself in the drop`;
  }

  /**
   * Opens a listed file read-only, by its exact bytes, refusing a path that leaves the drop
   * (`..`, an absolute path, a folder swapped for a link) or a file that is now a link.
   */
  private async openInside(relative: string, rawPath: string | undefined) {
    const bytes = sourcePathBytes({ path: relative, rawPath });
    const segments = splitBytes(bytes);
    if (bytes[0] === 0x2f || segments.some((segment) => segment.length === 0 || segment.equals(DOT) || segment.equals(DOTDOT) || segment.includes(0))) {
      throw new OctoError('unsafe', `${relative} is outside the source folder`);
    }
    const full = Buffer.concat([Buffer.from(this.root), SLASH, bytes]);
    const realRoot = await realpath(this.root);
    const parent = Buffer.concat([Buffer.from(this.root), ...segments.slice(0, -1).flatMap((segment) => [SLASH, segment])]);
    const realParent = await realpath(parent).catch(() => undefined);
    if (realParent !== undefined && realParent !== realRoot && !realParent.startsWith(realRoot + path.sep)) {
      throw new OctoError('unsafe', `${relative} is reached through a symbolic link out of the drop folder; links are never followed`);
    }
    try {
      return await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
        throw new OctoError('unsafe', `${relative} is a symbolic link; links in a file:// drop are never followed: put the file itself in the drop`, { cause: error });
      }
      throw new OctoError('source', `cannot open ${relative} in ${this.description}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
  }

  private listError(error: unknown): OctoError {
    return new OctoError('source', `cannot list ${this.description}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; check the provider's source path`, {
      cause: error,
      fatal: true,
    });
  }
}

const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

function splitBytes(bytes: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let index = bytes.indexOf(0x2f); index !== -1; index = bytes.indexOf(0x2f, start)) {
    parts.push(bytes.subarray(start, index));
    start = index + 1;
  }
  parts.push(bytes.subarray(start));
  return parts;
}
