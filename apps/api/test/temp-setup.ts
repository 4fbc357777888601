import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { defineProvider, LocalRemoteSource, loadConfig, type LoadedConfig, type RemoteFile } from '@octo/core';
import { DEMO_KEYS_DIR, exampleProvider, writeSampleDrop } from '@octo/provider-example';

/** The token every test API accepts (from `env:OCTO_TEST_TOKEN`). */
export const TOKEN = 'test-token-0123456789abcdef0123456789abcdef';
export const TEST_ENV = { OCTO_TEST_TOKEN: TOKEN };

/** A temp copy of the example setup: its own drop, bucket folder and work directory. */
export interface TempSetup {
  readonly dir: string;
  readonly configFile: string;
  readonly loaded: LoadedConfig;
  readonly dropDir: (provider: string) => string;
  readonly bucketDir: string;
  readonly workDir: string;
  cleanup(): Promise<void>;
}

/**
 * Writes a temp config whose store, work directory and drops live in a temp folder. The
 * example drop is seeded by the example plugin on first use unless `seed` writes it first.
 */
export async function tempSetup(options: { api?: Record<string, unknown>; slow?: boolean } = {}): Promise<TempSetup> {
  const dir = await mkdtemp(path.join(tmpdir(), 'octo-api-'));
  const keys = (name: string) => `file:${path.join(DEMO_KEYS_DIR, name)}`;
  const decryption = { passphrase: keys('passphrase.txt'), privateKeys: [{ key: keys('private.asc') }] };
  const config = {
    store: `file://${dir}/buckets`,
    workDir: `${dir}/work`,
    concurrency: 2,
    providers: {
      example: { plugin: 'example', source: `file://${dir}/drop/example`, bucket: 'example-bucket', exclude: ['**/*.md'], decryption },
      ...(options.slow
        ? { 'slow-example': { plugin: 'slow-example', source: `file://${dir}/drop/slow-example`, bucket: 'slow-bucket', decryption } }
        : {}),
    },
    api: { tokens: ['env:OCTO_TEST_TOKEN'], port: 0, logLevel: 'silent', ...options.api },
  };
  const configFile = path.join(dir, 'octo.config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  return {
    dir,
    configFile,
    loaded: await loadConfig(configFile),
    dropDir: (provider) => path.join(dir, 'drop', provider),
    bucketDir: path.join(dir, 'buckets'),
    workDir: path.join(dir, 'work'),
    // A job's seeding may still be writing the drop when a test ends: retry instead of failing on ENOTEMPTY.
    cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }),
  };
}

/** Seeds the example drop (the sample files) plus `count` larger plain CSV files of `bytes` each. */
export async function seedExampleDrop(setup: TempSetup, extra: { count: number; bytes: number }): Promise<string[]> {
  const drop = setup.dropDir('example');
  const samples = await writeSampleDrop(drop);
  const names = samples.map((sample) => sample.file);
  for (let i = 1; i <= extra.count; i += 1) {
    const name = `large_202611${String(10 + i).padStart(2, '0')}.csv`;
    await writeFile(path.join(drop, name), csvOf(extra.bytes, i));
    await utimes(path.join(drop, name), new Date('2026-11-08T06:00:00Z'), new Date('2026-11-08T06:00:00Z'));
    names.push(name);
  }
  return names.sort();
}

function csvOf(bytes: number, seed: number): Buffer {
  const line = Buffer.from(`${seed},2026-11-08,ACC-${1000 + seed},123.45,EUR,a larger file to make the job take a while\n`);
  return Buffer.concat(Array.from({ length: Math.ceil(bytes / line.length) }, () => line)).subarray(0, bytes);
}

/** Every visible object under a bucket folder (no ledger, no staging), key -> sha256 of its bytes. */
export async function listBucket(bucketRoot: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const names = await readdir(bucketRoot, { recursive: true }).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const key = name.split(path.sep).join('/');
    if (key.startsWith('_octo/') || key.startsWith('.octo-staging')) continue;
    const full = path.join(bucketRoot, name);
    if (!(await stat(full)).isFile()) continue;
    out.set(key, createHash('sha256').update(await readFile(full)).digest('hex'));
  }
  return out;
}

/** Files left under `<bucket>/.octo-staging` (there must be none once a job ended). */
export async function stagingLeftovers(bucketRoot: string): Promise<string[]> {
  const names = await readdir(path.join(bucketRoot, '.octo-staging'), { recursive: true }).catch(() => [] as string[]);
  const files: string[] = [];
  for (const name of names) {
    if ((await stat(path.join(bucketRoot, '.octo-staging', name))).isFile()) files.push(name);
  }
  return files;
}

/** Ledger records of a provider in its bucket. */
export async function ledgerRecords(bucketRoot: string, provider: string): Promise<Array<{ path: string; jobId: string; outputs: Array<{ key: string }> }>> {
  const dir = path.join(bucketRoot, '_octo', 'ledger', provider);
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(path.join(dir, name), 'utf8'))));
}

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
  constructor(root: string, private readonly bytesPerSecond: number) {
    super(root);
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
 * The example provider over a drop whose `slow_*` files are read at 256 KiB/s: a test-only
 * plugin, so a cancel or a shutdown deadline reliably finds files in flight.
 */
export const slowExampleProvider = defineProvider({
  name: 'slow-example',
  description: 'Test only: the example provider with slowly read slow_* files',
  register(env) {
    exampleProvider.register!({ ...env, settings: { seed: false } });
    const root = env.provider.config.source.url.slice('file://'.length);
    env.override('remoteSource', { value: new SlowLocalSource(root, 256 * 1024) });
  },
});

/** Seeds the slow drop: `fast` small plain files and `slow` files of `slowBytes` each. */
export async function seedSlowDrop(setup: TempSetup, counts: { fast: number; slow: number; slowBytes: number }): Promise<void> {
  const drop = setup.dropDir('slow-example');
  await mkdir(drop, { recursive: true });
  for (let i = 1; i <= counts.fast; i += 1) await writeFile(path.join(drop, `fast_2026110${i}.csv`), csvOf(4096, i));
  for (let i = 1; i <= counts.slow; i += 1) await writeFile(path.join(drop, `slow_2026111${i}.csv`), csvOf(counts.slowBytes, 100 + i));
}

/** Reads a Server-Sent Events body into `{ event, data }` records until it ends. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: unknown; id?: string }> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    const chunk = next.value;
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      let event = 'message';
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) yield { event, data: JSON.parse(data.join('\n')), ...(id ? { id } : {}) };
    }
  }
}
