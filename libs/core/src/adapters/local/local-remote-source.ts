import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { OctoError } from '../../errors/octo-error.js';
import type { ListOptions, RemoteFile, RemoteSource } from '../../ports/remote-source.js';
import { pairSignatures } from '../../pipeline/pair-signatures.js';

/** A provider drop that is a folder on this machine (the embedded default, and tests). */
export class LocalRemoteSource implements RemoteSource {
  readonly description: string;

  constructor(
    private readonly root: string,
    private readonly options: { recursive?: boolean } = {},
  ) {
    this.description = `file://${root}`;
  }

  async list(options: ListOptions = {}): Promise<RemoteFile[]> {
    let names: string[];
    try {
      names = await readdir(this.root, { recursive: this.options.recursive ?? true });
    } catch (error) {
      throw new OctoError('source', `cannot list ${this.description}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; check the provider's source path`, {
        cause: error,
        fatal: true,
      });
    }
    const now = Date.now();
    const files: RemoteFile[] = [];
    for (const name of names.sort()) {
      const full = path.join(this.root, name);
      const info = await stat(full).catch(() => undefined);
      if (!info?.isFile()) continue;
      if (options.minAgeMs && now - info.mtimeMs < options.minAgeMs) continue;
      files.push({ path: name.split(path.sep).join('/'), size: info.size, mtimeMs: Math.floor(info.mtimeMs) });
    }
    return pairSignatures(files);
  }

  async open(file: RemoteFile, options: { offset?: number } = {}): Promise<Readable> {
    const full = this.resolve(file.path);
    try {
      const handle = await open(full, 'r');
      return handle.createReadStream({ start: options.offset ?? 0, highWaterMark: 256 * 1024 });
    } catch (error) {
      throw new OctoError('source', `cannot open ${file.path} in ${this.description}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        cause: error,
      });
    }
  }

  async readSmall(filePath: string, maxBytes: number): Promise<Buffer> {
    const full = this.resolve(filePath);
    const info = await stat(full);
    if (info.size > maxBytes) throw new OctoError('source', `${filePath} is ${info.size} bytes, more than the ${maxBytes} expected`);
    return readFile(full);
  }

  async close(): Promise<void> {
    // Nothing to release: files are opened per read.
  }

  private resolve(relative: string): string {
    const full = path.resolve(this.root, relative);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) {
      throw new OctoError('unsafe', `${relative} is outside the source folder`);
    }
    return full;
  }
}
