import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OctoError } from '../../errors/octo-error.js';
import type { ObjectInfo, ObjectMetadata, ObjectStore, PutOptions, StagedObject, Staging } from '../../ports/object-store.js';
import { unownedObjectError } from '../unowned-object-error.js';
import { DigestStream } from '../../streams/digest-stream.js';
import { processAlive } from '../../util/process-alive.js';
import { checkLocalKey } from './local-key-check.js';
import { localStoreError } from './local-store-error.js';
import { assertSafeKey } from './object-key.js';

/** Folder inside the bucket root where staged writes wait; never listed. */
export const STAGING_DIR = '.octo-staging';

/**
 * A bucket that is a folder on this machine (the embedded default). Staged writes go to a
 * hidden staging folder on the same filesystem and become visible by rename on commit.
 */
export class LocalObjectStore implements ObjectStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `file://${root}`;
  }

  begin(): Staging {
    return new LocalStaging(this.root);
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the folder the prefix names (the ledger's, say), not the whole bucket.
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const names = await readdir(path.join(this.root, base), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [] as string[];
      throw error;
    });
    const keys = names
      .map((name) => base + name.split(path.sep).join('/'))
      .filter((key) => key.startsWith(prefix) && key !== STAGING_DIR && !key.startsWith(`${STAGING_DIR}/`))
      .sort();
    for (const key of keys) {
      const info = await stat(path.join(this.root, key)).catch(() => undefined);
      if (info?.isFile()) yield { key, size: info.size };
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    assertSafeKey(key);
    const file = path.join(this.root, key);
    const info = await stat(file).catch(() => undefined);
    return info?.isFile() ? createReadStream(file) : undefined;
  }

  async putSmall(key: string, body: Buffer | string): Promise<void> {
    assertSafeKey(key);
    const file = path.join(this.root, key);
    const temp = path.join(this.root, STAGING_DIR, `${randomUUID()}.tmp`);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await mkdir(path.dirname(temp), { recursive: true });
      await writeFile(temp, body);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw localStoreError(error, 'write', key);
    }
  }

  async putSmallIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    return this.createIfAbsent(key, body).catch((error: unknown) => { throw localStoreError(error, 'write', key); });
  }

  private async createIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    assertSafeKey(key);
    const file = path.join(this.root, key);
    await mkdir(path.dirname(file), { recursive: true });
    const temp = path.join(this.root, STAGING_DIR, `${randomUUID()}.tmp`);
    await mkdir(path.dirname(temp), { recursive: true });
    await writeFile(temp, body);
    // link() fails with EEXIST when the name exists, atomically: the kernel decides between
    // racing writers, and the winner's file appears whole (rename would replace it).
    try {
      await link(temp, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await rm(path.join(this.root, key), { force: true });
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await this.removeOrphanedStaging();
    } catch (error) {
      throw new OctoError('store', `cannot create the bucket folder ${this.root}: ${(error as NodeJS.ErrnoException).code}`, { cause: error, fatal: true });
    }
  }

  /** Staging folders left by a process that was killed (their pid is gone) are removed. */
  private async removeOrphanedStaging(): Promise<void> {
    const dir = path.join(this.root, STAGING_DIR);
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) {
      const [owner, pid] = /^(.+)-(\d+)-[0-9a-f-]{36}$/.exec(entry) ?? [];
      if (owner && pid && owner === hostname() && !processAlive(Number(pid))) {
        await rm(path.join(dir, entry), { recursive: true, force: true });
      }
    }
  }
}

class LocalStaging implements Staging {
  private readonly dir: string;
  private readonly staged = new Map<string, string>();
  /** Keys that must not exist at commit (PutOptions.ifAbsent). */
  private readonly ifAbsent = new Set<string>();
  private closed = false;

  constructor(private readonly root: string) {
    // Named after its owner so a later run can tell a killed process's leftovers from live work.
    this.dir = path.join(root, STAGING_DIR, `${hostname()}-${process.pid}-${randomUUID()}`);
  }

  async put(key: string, body: Readable, _metadata?: ObjectMetadata, options: PutOptions = {}): Promise<StagedObject> {
    // The body may fail before the pipeline below is attached; pipeline reports it then.
    body.on('error', () => undefined);
    assertSafeKey(key);
    if (this.closed) throw new OctoError('internal', 'staging already committed or aborted');
    await checkLocalKey(this.root, key, this.staged.keys());
    const temp = path.join(this.dir, String(this.staged.size));
    const digest = new DigestStream();
    try {
      await mkdir(this.dir, { recursive: true });
      await pipeline(body, digest, createWriteStream(temp, { mode: 0o644 }));
    } catch (error) {
      await rm(temp, { force: true });
      throw localStoreError(error, 'stage', key);
    }
    this.staged.set(key, temp);
    if (options.ifAbsent) this.ifAbsent.add(key);
    return { key, size: digest.bytes, sha256: digest.digest() };
  }

  async discard(key: string): Promise<void> {
    const temp = this.staged.get(key);
    if (temp) await rm(temp, { force: true });
    this.staged.delete(key);
  }

  async commit(): Promise<void> {
    this.closed = true;
    // Checked again before the first rename: another source may have landed a clashing key since put.
    for (const key of this.staged.keys()) await checkLocalKey(this.root, key, []);
    for (const [key, temp] of this.staged) {
      const target = path.join(this.root, key);
      await mkdir(path.dirname(target), { recursive: true }).catch((error: unknown) => { throw localStoreError(error, 'commit', key); });
      if (this.ifAbsent.has(key)) await linkIfAbsent(temp, target, key).catch((error: unknown) => { throw localStoreError(error, 'commit', key); });
      else await rename(temp, target).catch((error: unknown) => { throw localStoreError(error, 'commit', key); });
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  async abort(): Promise<void> {
    this.closed = true;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Moves `temp` to `target` only if `target` does not exist (link() is atomic; rename() would replace it). */
async function linkIfAbsent(temp: string, target: string, key: string): Promise<void> {
  try {
    await link(temp, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw unownedObjectError(key, error);
    throw error;
  }
  await unlink(temp);
}
