// The bench's data sets, generated once into a cache folder named after a hash of their
// spec, so reruns reuse them. The plaintext is deterministic (a seeded generator); the
// OpenPGP keys are generated once per cache folder, so the ciphertext is stable across reruns.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, type Writable } from 'node:stream';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** Bump when the generator's output changes, so old caches are not reused. */
const GENERATOR_VERSION = 1;

/** Sizes of every data set; `full` is what docs/performance.md reports. */
export interface DatasetSpec {
  readonly aBytes: number;
  readonly aSmallBytes: number;
  readonly bBytes: number;
  readonly cFiles: number;
  readonly dBytes: number;
  readonly dEntries: number;
}

export const FULL_SPEC: DatasetSpec = { aBytes: 1024 * MiB, aSmallBytes: 256 * MiB, bBytes: 2048 * MiB, cFiles: 2000, dBytes: 1024 * MiB, dEntries: 500 };
/** For development runs: the same shapes, about 1/16 of the bytes. */
export const QUICK_SPEC: DatasetSpec = { aBytes: 64 * MiB, aSmallBytes: 16 * MiB, bBytes: 128 * MiB, cFiles: 200, dBytes: 64 * MiB, dEntries: 50 };

/** One source data set as served from the SFTP drop. */
export interface Dataset {
  readonly id: 'A' | 'A-25519' | 'A-small' | 'B' | 'C' | 'D';
  /** Folder (inside the cache) whose files are the drop. */
  readonly dir: string;
  readonly files: readonly string[];
  /** Bytes read from the source (the encrypted files). */
  readonly sourceBytes: number;
  /** Bytes Octo lands (the plaintext, or the tar's entries). */
  readonly outputBytes: number;
  /** Files Octo lands. */
  readonly outputFiles: number;
  /** Which key it is encrypted to. */
  readonly key: 'rsa' | 'cv25519';
  /** For peers that start from a later stage (A and A-small only). */
  readonly plaintext?: string;
  readonly gzipped?: string;
}

/** The generated data sets and the keys to read them. */
export interface Datasets {
  readonly root: string;
  readonly gnupgHome: string;
  /** Armored secret keys, unprotected (what Octo's config points at). */
  readonly keyFiles: { readonly rsa: string; readonly cv25519: string };
  readonly sets: Readonly<Record<Dataset['id'], Dataset>>;
}

/** Makes (or reuses) every data set under `cacheDir/<hash of spec>`. */
export async function ensureDatasets(cacheDir: string, spec: DatasetSpec, log: (line: string) => void): Promise<Datasets> {
  const hash = createHash('sha256').update(JSON.stringify({ GENERATOR_VERSION, spec })).digest('hex').slice(0, 12);
  const root = path.join(cacheDir, hash);
  const manifestFile = path.join(root, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Datasets;
    if (await intact(manifest)) {
      log(`data sets: reusing ${path.relative(process.cwd(), root)}`);
      return manifest;
    }
    log('data sets: cache incomplete, regenerating');
  }
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const started = Date.now();
  const gnupgHome = path.join(root, 'gnupg');
  const keyFiles = await makeKeys(gnupgHome, root);
  const gpg = (args: string[]) => run('gpg', ['--homedir', gnupgHome, '--batch', '--yes', '--quiet', '--trust-model', 'always', ...args], { maxBuffer: 64 * MiB });
  const encrypt = (recipient: string, input: string, output: string) => gpg(['--recipient', recipient, '--output', output, '--encrypt', input]);

  const plain = path.join(root, 'plain');
  await mkdir(plain, { recursive: true });
  log('data sets: generating the CSVs and gzipping them (once)');
  const single = async (name: string, bytes: number, seed: string, keep: boolean) => {
    const gz = path.join(plain, `${name}.csv.gz`);
    await gzipTo(Readable.from(csvChunks(seed, bytes)), gz, keep ? path.join(plain, `${name}.csv`) : undefined);
    return gz;
  };
  const [aGz, aSmallGz, bGz, dGz] = await Promise.all([
    single('a', spec.aBytes, 'A', true),
    single('a-small', spec.aSmallBytes, 'A-small', true),
    single('b', spec.bBytes, 'B', false),
    (async () => {
      const gz = path.join(plain, 'd.tar.gz');
      await gzipTo(tarOf(spec.dBytes, spec.dEntries), gz);
      return gz;
    })(),
  ]);
  const { dir: cDir, files: cFiles, outputBytes: cOutput } = await makeSmallFiles(path.join(root, 'c'), spec.cFiles, (files) =>
    gpg(['--recipient', 'rsa@bench.octo', '--multifile', '--encrypt', ...files]),
  );

  log('data sets: encrypting');
  const one = async (id: Dataset['id'], folder: string, name: string, gz: string, key: 'rsa' | 'cv25519', outputBytes: number, outputFiles: number, extra: Partial<Dataset> = {}) => {
    const dir = path.join(root, folder);
    await mkdir(dir, { recursive: true });
    await encrypt(`${key}@bench.octo`, gz, path.join(dir, name));
    return { id, dir, files: [name], sourceBytes: (await stat(path.join(dir, name))).size, outputBytes, outputFiles, key, ...extra } satisfies Dataset;
  };
  const sets = {
    A: await one('A', 'a', 'statements_20261101.csv.gz.gpg', aGz, 'rsa', spec.aBytes, 1, { plaintext: path.join(plain, 'a.csv'), gzipped: aGz }),
    'A-25519': await one('A-25519', 'a-25519', 'statements_20261101.csv.gz.gpg', aGz, 'cv25519', spec.aBytes, 1, { plaintext: path.join(plain, 'a.csv'), gzipped: aGz }),
    'A-small': await one('A-small', 'a-small', 'statements_20261102.csv.gz.gpg', aSmallGz, 'rsa', spec.aSmallBytes, 1, {
      plaintext: path.join(plain, 'a-small.csv'),
      gzipped: aSmallGz,
    }),
    B: await one('B', 'b', 'statements_20261103.csv.gz.gpg', bGz, 'rsa', spec.bBytes, 1),
    C: { id: 'C', dir: cDir, files: cFiles, sourceBytes: await sizeOf(cDir, cFiles), outputBytes: cOutput, outputFiles: cFiles.length, key: 'rsa' },
    D: await one('D', 'd', 'bundle_20261104.tar.gz.gpg', dGz, 'rsa', Math.floor(spec.dBytes / spec.dEntries) * spec.dEntries, spec.dEntries),
  } satisfies Record<Dataset['id'], Dataset>;
  await rm(bGz);
  await rm(dGz);
  const manifest: Datasets = { root, gnupgHome, keyFiles, sets };
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`data sets: ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return manifest;
}

/** Every file the manifest lists is there with its size. */
async function intact(manifest: Datasets): Promise<boolean> {
  try {
    for (const set of Object.values(manifest.sets)) {
      if ((await sizeOf(set.dir, set.files)) !== set.sourceBytes) return false;
      for (const file of [set.plaintext, set.gzipped]) if (file && !existsSync(file)) return false;
    }
    return existsSync(manifest.keyFiles.rsa) && existsSync(manifest.keyFiles.cv25519);
  } catch {
    return false;
  }
}

async function sizeOf(dir: string, files: readonly string[]): Promise<number> {
  let total = 0;
  for (const file of files) total += (await stat(path.join(dir, file))).size;
  return total;
}

/** An RSA-3072 and a Curve25519 encryption key, unprotected, in a bench GnuPG home, exported armored for Octo. */
async function makeKeys(gnupgHome: string, root: string): Promise<{ rsa: string; cv25519: string }> {
  await mkdir(gnupgHome, { recursive: true, mode: 0o700 });
  const gpg = (args: string[]) => run('gpg', ['--homedir', gnupgHome, '--batch', '--yes', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', '', ...args]);
  const files = { rsa: path.join(root, 'rsa3072.asc'), cv25519: path.join(root, 'cv25519.asc') };
  for (const [name, primary, sub] of [
    ['rsa', 'rsa3072', 'rsa3072'],
    ['cv25519', 'ed25519', 'cv25519'],
  ] as const) {
    const uid = `Octo bench ${name} <${name}@bench.octo>`;
    await gpg(['--quick-generate-key', uid, primary, 'sign,cert', 'never']);
    const { stdout } = await gpg(['--with-colons', '--list-keys', uid]);
    const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(stdout)?.[1];
    if (!fingerprint) throw new Error(`gpg made no key for ${uid}`);
    await gpg(['--quick-add-key', fingerprint, sub, 'encr', 'never']);
    const { stdout: armored } = await gpg(['--armor', '--export-secret-keys', fingerprint]);
    await writeFile(files[name], armored, { mode: 0o600 });
  }
  return files;
}

/**
 * Deterministic CSV rows (statement lines from a seeded generator), exactly `size` bytes in
 * about 1 MiB chunks. Shaped to gzip about 4:1, like the partner files the issue measured.
 */
export async function* csvChunks(seed: string, size: number): AsyncGenerator<Buffer> {
  const next = mulberry32(createHash('sha256').update(seed).digest().readUInt32LE(0));
  const words = ['payment', 'transfer', 'refund', 'fee', 'salary', 'invoice', 'card', 'cash', 'interest', 'rent', 'tax', 'grocery', 'travel', 'fuel', 'insurance', 'utility'];
  const currencies = ['EUR', 'USD', 'GBP', 'CHF'];
  let row = 0;
  let left = size;
  while (left > 0) {
    let text = '';
    while (text.length < MiB) {
      row += 1;
      const r = next();
      const day = 1 + (r % 28);
      const account = 100000 + ((r >>> 5) % 2000);
      const amount = next() % 1_000_000;
      text += `${row},2026-11-${day < 10 ? '0' : ''}${day},ACC${account},${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')},${currencies[(r >>> 16) & 3]},${words[(r >>> 18) & 15]} ${words[(r >>> 22) & 15]}\n`;
    }
    const chunk = Buffer.from(text, 'latin1');
    const take = Math.min(left, chunk.length);
    left -= take;
    yield take === chunk.length ? chunk : chunk.subarray(0, take);
  }
}

/** A tar of `entries` CSV entries totalling about `bytes`. */
function tarOf(bytes: number, entries: number): Readable {
  const pack = tar.pack();
  const entrySize = Math.floor(bytes / entries);
  void (async () => {
    for (let index = 0; index < entries; index += 1) {
      const name = `export/part-${String(index + 1).padStart(4, '0')}.csv`;
      const entry = pack.entry({ name, size: entrySize, mtime: new Date('2026-11-04T00:00:00Z') }) as unknown as Writable;
      for await (const chunk of csvChunks(`D-${index}`, entrySize)) {
        if (!entry.write(chunk)) await once(entry, 'drain');
      }
      entry.end();
      await once(entry, 'finish');
    }
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error as Error));
  return pack as unknown as Readable;
}

/** Pipes `input` through `gzip -6 -n` (deterministic: no name, no time) into `output`, keeping a plaintext copy if asked. */
async function gzipTo(input: Readable, output: string, plainCopy?: string): Promise<void> {
  const gzip = spawn('gzip', ['-6', '-n', '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const written = pipeline(gzip.stdout, createWriteStream(`${output}.part`));
  const copy = plainCopy ? createWriteStream(plainCopy) : undefined;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    await write(gzip.stdin, chunk);
    if (copy) await write(copy, chunk);
  }
  gzip.stdin.end();
  copy?.end();
  await Promise.all([written, copy ? once(copy, 'finish') : undefined, once(gzip, 'close')]);
  if (gzip.exitCode !== 0) throw new Error(`gzip exited with ${gzip.exitCode}`);
  await rename(`${output}.part`, output);
}

async function write(stream: Writable, chunk: Buffer): Promise<void> {
  if (!stream.write(chunk)) await once(stream, 'drain');
}

/** `count` files of 10-100 KB, every other one gzipped, encrypted with one gpg call; returns the `.gpg` names. */
async function makeSmallFiles(dir: string, count: number, encrypt: (files: string[]) => Promise<unknown>): Promise<{ dir: string; files: string[]; outputBytes: number }> {
  await mkdir(dir, { recursive: true });
  const next = mulberry32(0xc0ffee);
  const plain: string[] = [];
  let outputBytes = 0;
  for (let index = 0; index < count; index += 1) {
    const size = 10_000 + (next() % 90_001);
    const chunks: Buffer[] = [];
    for await (const chunk of csvChunks(`C-${index}`, size)) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    outputBytes += body.length;
    const gzipped = index % 2 === 0;
    const name = `stmt_20261105_${String(index + 1).padStart(4, '0')}.csv${gzipped ? '.gz' : ''}`;
    await writeFile(path.join(dir, name), gzipped ? gzipSync(body, { level: 6 }) : body);
    plain.push(path.join(dir, name));
  }
  for (let index = 0; index < plain.length; index += 500) await encrypt(plain.slice(index, index + 500));
  await Promise.all(plain.map((file) => rm(file)));
  const files = (await readdir(dir)).filter((name) => name.endsWith('.gpg')).sort();
  if (files.length !== count) throw new Error(`gpg encrypted ${files.length} of ${count} small files`);
  return { dir, files, outputBytes };
}

/** A small fast seeded generator (32-bit outputs). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
