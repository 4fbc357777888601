import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OctoError } from '../../errors/octo-error.js';
import { currentRunOwner, parseRunFolderName, runFolderName } from '../../jobs/run-folder.js';
import type {
  ObjectInfo,
  ObjectMetadata,
  ObjectStore,
  OpenStagedState,
  PutOptions,
  ResumedStaging,
  StagedObject,
  StagedRef,
  Staging,
  StagingOptions,
} from '../../ports/object-store.js';
import { DigestStream } from '../../streams/digest-stream.js';
import { unownedObjectError } from '../unowned-object-error.js';
import { checkLocalKey } from './local-key-check.js';
import { localStoreError } from './local-store-error.js';
import { assertSafeKey } from './object-key.js';
import { walkFolder } from '../../util/walk-folder.js';

/** Folder inside the bucket root where staged writes wait; never listed. */
export const STAGING_DIR = '.octo-staging';

/** Run id prefix of the staging folders that small direct writes (ledger records, intents) pass through, one per write so none removes another's. */
const DIRECT_WRITES_RUN = 'direct';

/**
 * A bucket that is a folder on this machine (the embedded default). Staged writes go to the
 * hidden staging folder on the same filesystem, one folder per run named after its owner
 * (`.octo-staging/<host>--<pid>--<runId>/`), and become visible by rename on commit.
 */
export class LocalObjectStore implements ObjectStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `file://${root}`;
  }

  begin(options: StagingOptions = {}): Staging {
    return new LocalStaging(this.root, this.runDir(options.runId ?? randomUUID()));
  }

  async resume(refs: readonly StagedRef[], options: StagingOptions = {}): Promise<ResumedStaging> {
    const staging = new LocalStaging(this.root, this.runDir(options.runId ?? randomUUID()));
    const missing: string[] = [];
    for (const ref of refs) {
      assertSafeKey(ref.key);
      assertStagingRef(ref.ref);
      const temp = path.join(this.root, ref.ref);
      const staged = await stat(temp).catch(() => undefined);
      const visible = await stat(path.join(this.root, ref.key)).catch(() => undefined);
      // An if-absent commit links, then unlinks the staged name: killed in between, both names are one file.
      if (staged?.isFile() && visible?.ino === staged.ino && visible.dev === staged.dev) {
        await unlink(temp);
        staging.adopt(ref, temp, true);
      } else if (staged?.isFile()) staging.adopt(ref, temp, false);
      else if (await this.holds(ref)) staging.adopt(ref, temp, true);
      else missing.push(ref.key);
    }
    return { staging, missing };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk only the folder the prefix names (the ledger's, say), not the whole bucket.
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const dir = path.join(this.root, base);
    const names = (await walkFolder(dir)).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
    const keys = names
      .map((name) => base + name.split(path.sep).join('/'))
      .filter((key) => key.startsWith(prefix) && key !== STAGING_DIR && !key.startsWith(`${STAGING_DIR}/`))
      .sort();
    for (const key of keys) {
      const info = await stat(path.join(this.root, key)).catch(() => undefined);
      if (info?.isFile()) yield { key, size: info.size, lastModified: info.mtime };
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
    const dir = this.runDir(`${DIRECT_WRITES_RUN}-${randomUUID()}`);
    const temp = path.join(dir, `${randomUUID()}.tmp`);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await mkdir(dir, { recursive: true });
      await writeFile(temp, body);
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw localStoreError(error, 'write', key);
    } finally {
      await rmdir(dir).catch(() => undefined);
    }
  }

  async putSmallIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    assertSafeKey(key);
    return this.createIfAbsent(key, body).catch((error: unknown) => {
      throw localStoreError(error, 'write', key);
    });
  }

  private async createIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    const file = path.join(this.root, key);
    await mkdir(path.dirname(file), { recursive: true });
    const dir = this.runDir(`${DIRECT_WRITES_RUN}-${randomUUID()}`);
    const temp = path.join(dir, `${randomUUID()}.tmp`);
    await mkdir(dir, { recursive: true });
    // link() fails with EEXIST when the name exists, atomically: the kernel decides between
    // racing writers, and the winner's file appears whole (rename would replace it).
    try {
      await writeFile(temp, body);
      await link(temp, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
      await rmdir(dir).catch(() => undefined);
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    await rm(path.join(this.root, key), { force: true });
  }

  async *openStaged(): AsyncIterable<OpenStagedState> {
    const dir = path.join(this.root, STAGING_DIR);
    const names = await readdir(dir).catch(() => [] as string[]);
    const found: OpenStagedState[] = [];
    for (const name of names) {
      const info = await stat(path.join(dir, name)).catch(() => undefined);
      if (!info) continue;
      found.push({ ref: name, startedAt: info.mtime, owner: parseRunFolderName(name) ?? parseLegacyStagingName(name) });
    }
    yield* found.sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  }

  async dropStaged(state: OpenStagedState): Promise<void> {
    assertStagingRef(`${STAGING_DIR}/${state.ref}`);
    await rm(path.join(this.root, STAGING_DIR, state.ref), { recursive: true, force: true });
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (error) {
      throw new OctoError('store', `cannot create the bucket folder ${this.root}: ${(error as NodeJS.ErrnoException).code}`, { cause: error, fatal: true });
    }
  }

  private runDir(runId: string): string {
    return path.join(this.root, STAGING_DIR, runFolderName(currentRunOwner(runId)));
  }

  /** True when the key holds exactly the staged output (it was renamed into place before a crash). */
  private async holds(ref: StagedRef): Promise<boolean> {
    const file = path.join(this.root, ref.key);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile() || info.size !== ref.size) return false;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return hash.digest('hex') === ref.sha256;
  }
}

/** Staging folders of an earlier version were named `<host>-<pid>-<uuid>`. */
function parseLegacyStagingName(name: string): OpenStagedState['owner'] {
  const [, host, pid, runId] = /^(.+)-(\d+)-([0-9a-f-]{36})$/.exec(name) ?? [];
  return host && pid && runId ? { host, pid: Number(pid), runId } : undefined;
}

/** A staging handle must point inside the staging folder: it comes back from a JSON intent. */
function assertStagingRef(ref: string): void {
  const segments = ref.split('/');
  if (segments[0] !== STAGING_DIR || segments.length < 2 || segments.some((segment) => segment === '..' || segment === '.' || segment === '')) {
    throw new OctoError('store', `staged file "${ref}" is not inside ${STAGING_DIR}: the commit intent is damaged`);
  }
}

class LocalStaging implements Staging {
  private readonly dir: string;
  private readonly staged = new Map<string, { temp: string; object: StagedObject; committed: boolean; ifAbsent?: boolean }>();
  private closed = false;
  private spent = false;
  private aborted = false;

  constructor(
    private readonly root: string,
    /** The run's folder in the staging area; this staging's own folder goes inside. */
    private readonly runDir: string,
  ) {
    this.dir = path.join(runDir, randomUUID());
  }

  /** Takes over one output of a dead run (see {@link LocalObjectStore.resume}). */
  adopt(ref: StagedRef, temp: string, committed: boolean): void {
    this.closed = true;
    this.staged.set(ref.key, { temp, object: { key: ref.key, size: ref.size, sha256: ref.sha256 }, committed, ...(ref.ifAbsent ? { ifAbsent: true } : {}) });
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
      await makeStagingFolder(this.dir);
      await pipeline(body, digest, createWriteStream(temp, { mode: 0o644 }));
    } catch (error) {
      await rm(temp, { force: true });
      throw localStoreError(error, 'stage', key);
    }
    const object = { key, size: digest.bytes, sha256: digest.digest() };
    this.staged.set(key, { temp, object, committed: false, ...(options.ifAbsent ? { ifAbsent: true } : {}) });
    return object;
  }

  async discard(key: string): Promise<void> {
    const entry = this.staged.get(key);
    if (entry && !entry.committed) await rm(entry.temp, { force: true });
    if (!entry?.committed) this.staged.delete(key);
  }

  refs(): StagedRef[] {
    return [...this.staged.values()].map(({ temp, object, ifAbsent }) => ({
      ...object,
      ref: path.relative(this.root, temp).split(path.sep).join('/'),
      ...(ifAbsent ? { ifAbsent: true } : {}),
    }));
  }

  /** Moves every staged file into place (link for if-absent keys); a retry after a failure moves only those still staged. */
  async commit(): Promise<void> {
    if (this.spent) throw new OctoError('internal', 'staging already rolled back');
    if (this.aborted) throw new OctoError('internal', 'staging already aborted: its outputs were dropped, there is nothing to commit');
    this.closed = true;
    // Checked again before the first rename: another source may have landed a clashing key since put.
    for (const [key, entry] of this.staged) if (!entry.committed) await checkLocalKey(this.root, key, []);
    for (const [key, entry] of this.staged) {
      if (entry.committed) continue;
      const target = path.join(this.root, key);
      const named = (error: unknown) => {
        throw localStoreError(error, 'commit', key);
      };
      await mkdir(path.dirname(target), { recursive: true }).catch(named);
      if (entry.ifAbsent) await linkIfAbsent(entry.temp, target, key).catch(named);
      else await rename(entry.temp, target).catch(named);
      entry.committed = true;
    }
    await this.removeFolders();
  }

  async abort(): Promise<void> {
    this.closed = true;
    this.aborted = true;
    await this.removeFolders();
  }

  async rollback(): Promise<void> {
    this.closed = true;
    this.spent = true;
    for (const [key, entry] of this.staged) {
      if (entry.committed) await rm(path.join(this.root, key), { force: true });
      else await rm(entry.temp, { force: true });
    }
    await this.removeFolders();
  }

  /** Its own folder, then the run's folder if that was the last staging in it. */
  private async removeFolders(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    for (const { temp, committed } of this.staged.values()) {
      // A resumed staging's files live in the dead run's folder.
      if (!committed) await rm(temp, { force: true });
      await rmdir(path.dirname(temp)).catch(() => undefined);
      await rmdir(path.dirname(path.dirname(temp))).catch(() => undefined);
    }
    await rmdir(this.runDir).catch(() => undefined);
  }
}

/** How often a staging folder is made again when its run's folder vanished while it was being made. */
const STAGING_FOLDER_ATTEMPTS = 5;

/**
 * Makes a staging's own folder inside its run's folder. Another staging of the same run removes
 * the run's folder when it finds it empty (its last file committed), and it can do so between
 * the two levels of this mkdir, which then fails (ENOENT, or ENOTDIR from Node's recursive
 * mkdir): the run's folder is then made again. A folder that holds this staging's is never removed.
 */
async function makeStagingFolder(dir: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await mkdir(dir, { recursive: true });
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || attempt >= STAGING_FOLDER_ATTEMPTS) throw error;
    }
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
