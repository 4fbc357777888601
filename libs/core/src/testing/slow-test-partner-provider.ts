import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { LocalRemoteSource } from '../adapters/local/local-remote-source.js';
import { resolvePath } from '../config/load-config.js';
import type { RemoteFile } from '../ports/remote-source.js';
import { defineProvider } from '../providers/provider-plugin.js';
import { DatedTestFolderNamer } from './dated-test-folder-namer.js';
import { csvOfSize } from './test-drop.js';

/** How fast the slow provider reads its `slow_*` files. */
export const SLOW_BYTES_PER_SECOND = 256 * 1024;

/** Passes bytes through at about `bytesPerSecond`, so a file stays in flight long enough to cancel it. */
class Throttle extends Transform {
  constructor(private readonly bytesPerSecond: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null, data?: Buffer) => void): void {
    setTimeout(() => callback(null, chunk), (chunk.length / this.bytesPerSecond) * 1000);
  }
}

/** A local drop whose files named `slow_*` are read slowly. */
class SlowLocalSource extends LocalRemoteSource {
  constructor(root: string, options: { recursive?: boolean }, private readonly bytesPerSecond: number) {
    super(root, options);
  }
  override async open(file: RemoteFile, options?: { offset?: number; signal?: AbortSignal }): Promise<Readable> {
    const stream = await super.open(file, options);
    if (!path.basename(file.path).startsWith('slow_')) return stream;
    const throttled = stream.pipe(new Throttle(this.bytesPerSecond));
    stream.on('error', (error) => throttled.destroy(error));
    throttled.on('close', () => stream.destroy());
    return throttled;
  }
}

/**
 * The {@link testPartnerProvider} over a local drop whose `slow_*` files are read at
 * {@link SLOW_BYTES_PER_SECOND}: so a cancel or a shutdown deadline reliably finds files in flight.
 */
export const slowTestPartnerProvider = defineProvider({
  name: 'slow-test-partner',
  description: 'Test only: dated folders, slowly read slow_* files',
  register({ provider, override }) {
    override('folderNamer', DatedTestFolderNamer);
    const source = provider.config.source;
    override('remoteSource', { value: new SlowLocalSource(resolvePath(provider.baseDir, source.url), { recursive: source.recursive }, SLOW_BYTES_PER_SECOND) });
  },
});

/** Writes a slow drop into `dir`: `fast` small plain files (`fast_2026110N.csv`) and `slow` files of `slowBytes` each (`slow_2026111N.csv`). */
export async function writeSlowDrop(dir: string, counts: { fast: number; slow: number; slowBytes: number }): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 1; i <= counts.fast; i += 1) await writeFile(path.join(dir, `fast_2026110${i}.csv`), csvOfSize(4096, i));
  for (let i = 1; i <= counts.slow; i += 1) await writeFile(path.join(dir, `slow_2026111${i}.csv`), csvOfSize(counts.slowBytes, 100 + i));
}
