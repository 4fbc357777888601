import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, OctoConfigInput } from '@octo/core';
import { encryptBytes, listFiles, sha256, tarOf } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { buildOctoCliBundle, removeOctoCliBundle } from './octo-cli.js';
import { createBucket, listKeys, openUploads, readObject } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const PASSPHRASE = 'crash test passphrase';

/** A small seeded generator (mulberry32): the same seed kills at the same moments. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function zipOf(entries: ReadonlyArray<readonly [string, string]>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, body] of entries) zip.addBuffer(Buffer.from(body), name);
  zip.end();
  return buffer(zip.outputStream as unknown as Readable);
}

function typeOf(name: string): string {
  const ext = path.extname(name).toLowerCase();
  return ext === '.csv' ? 'csv' : ext === '.pdf' ? 'pdf' : ext === '.xml' ? 'xml' : 'other';
}

/** The 50 source files of the job and every object they must land as (key -> sha256, and the key's source). */
async function writeDrop(drop: string): Promise<{ outputs: Map<string, { sha256: string; source: string }>; sources: string[] }> {
  await mkdir(drop, { recursive: true });
  const outputs = new Map<string, { sha256: string; source: string }>();
  const sources: string[] = [];
  const add = async (source: string, bytes: Buffer, members: ReadonlyArray<readonly [string, string | Buffer]>) => {
    await writeFile(path.join(drop, source), bytes);
    sources.push(source);
    for (const [name, body] of members) outputs.set(`data/${typeOf(name)}/plain/undated/${name}`, { sha256: sha256(body), source });
  };
  // Tars with hundreds of members: their commits take long enough for kills to land in them.
  // Named to sort last, so the small files make progress first and every run reaches them.
  for (let t = 0; t < 3; t += 1) {
    const members = Array.from({ length: 100 }, (_, m) => [`t${t}-m${m}.csv`, `tar,${t},${m}\n`] as const);
    await add(`z-bundle-${t}.tar`, await tarOf(members), members);
  }
  const big = Array.from({ length: 200 }, (_, m) => [`g-m${m}.xml`, `<m n="${m}"/>\n`] as const);
  await add('z-big.tar.gz', gzipSync(await tarOf(big)), big);
  // Zips are spooled to disk: their spools must not survive a kill.
  for (let z = 0; z < 2; z += 1) {
    const members = Array.from({ length: 5 }, (_, m) => [`z${z}-m${m}.pdf`, `%PDF zip ${z} ${m}\n`.repeat(200)] as const);
    await add(`pack-${z}.zip`, await zipOf(members), members);
  }
  const secret = Array.from({ length: 4 }, (_, m) => [`s-m${m}.csv`, `secret,${m}\n`.repeat(500)] as const);
  await add('secret.zip.gpg', await encryptBytes(await zipOf(secret), { passphrase: PASSPHRASE }), secret);
  for (let g = 0; g < 10; g += 1) {
    const body = `gz,${g}\n`.repeat(300 + g);
    await add(`rows-${g}.csv.gz`, gzipSync(body), [[`rows-${g}.csv`, body]]);
  }
  for (let e = 0; e < 2; e += 1) {
    const body = `enc,${e}\n`.repeat(100);
    await add(`enc-${e}.csv.gpg`, await encryptBytes(Buffer.from(body), { passphrase: PASSPHRASE }), [[`enc-${e}.csv`, body]]);
  }
  for (let p = 0; p < 31; p += 1) {
    const name = `plain-${p}.${['csv', 'xml', 'pdf', 'bin'][p % 4]}`;
    const body = p === 0 ? Buffer.alloc(2 * 1024 * 1024, 'b') : Buffer.from(`plain ${p}\n`.repeat(50));
    await add(name, body, [[name, body]]);
  }
  return { outputs, sources };
}

/** What a check of one store needs: its visible data keys, its `_octo/` keys, bytes, open uploads, staging files. */
interface StoreView {
  dataKeys(): Promise<string[]>;
  intentKeys(): Promise<string[]>;
  octoKeys(): Promise<string[]>;
  read(key: string): Promise<Buffer>;
  openUploads(): Promise<number>;
  stagingFiles(): Promise<string[]>;
}

const pathHash = (source: string) => createHash('sha256').update(source).digest('hex').slice(0, 40);

/** Sources with some output visible and neither an intent nor a ledger record (in either `_octo` listing). */
function halfVisible(data: readonly string[], octo: ReadonlyArray<readonly string[]>, outputs: Map<string, { source: string }>): string[] {
  const covered = new Set<string>();
  for (const keys of octo) {
    for (const key of keys) {
      const ledger = /^_octo\/ledger\/plain\/([0-9a-f]{40})-/.exec(key);
      const intent = /^_octo\/intents\/plain\/.+-([0-9a-f]{40})\.json$/.exec(key);
      const hash = ledger?.[1] ?? intent?.[1];
      if (hash) covered.add(hash);
    }
  }
  const bad = new Set<string>();
  for (const key of data) {
    const source = outputs.get(key)?.source;
    if (source && !covered.has(pathHash(source))) bad.add(source);
  }
  return [...bad].sort();
}

describe('a 50-file job killed with SIGKILL at random moments, then run again', () => {
  let stack: SftpS3Stack;
  let bin: string;
  let fixture: { outputs: Map<string, { sha256: string; source: string }>; sources: string[] };

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    stack = await startSftpS3Stack('octo-crash-');
    [bin] = await Promise.all([buildOctoCliBundle()]);
  });

  afterAll(async () => {
    await stack?.stop();
    if (bin) await removeOctoCliBundle(bin);
  });

  /** Runs the whole sequence against one store: ten kills (one per seed), then runs to completion, then every check. */
  async function killAndRecover(
    name: string,
    store: OctoConfigInput['store'],
    view: StoreView,
    workDir: string,
    /** The latest "anywhere" kill after the job started, and how often to look for a commit intent: the local store is far faster than S3. */
    pace: { killWithinMs: number; pollMs: number },
  ): Promise<void> {
    const drop = path.join(stack.sshd.dropDir, name);
    fixture = await writeDrop(drop);
    await writeFile(path.join(stack.dir, `${name}.pass`), PASSPHRASE, { mode: 0o600 });
    const configPath = await writeOctoConfig(
      stack.dir,
      {
        store,
        workDir,
        concurrency: 4,
        providers: {
          plain: {
            // The CLI has the installed plugins only: the example's folder rule puts undated names in `plain/undated`.
            plugin: 'example',
            settings: { seed: false },
            bucket: `crash-${name}`,
            source: {
              url: `sftp://${stack.sshd.user}@127.0.0.1:${stack.sshd.port}${drop}`,
              hostKey: stack.sshd.hostKeyFingerprint,
              privateKey: `file:${stack.sshd.userKeyFile}`,
            },
            decryption: { passphrase: `file:${path.join(stack.dir, `${name}.pass`)}` },
          },
        },
      },
      `${name}.yaml`,
    );
    const trail: string[] = [];
    const tarHashes = new Set(fixture.sources.filter((source) => /\.tar(\.gz)?$/.test(source)).map(pathHash));
    const fail = (what: string) => `${what}\nseeds ${SEEDS.join(',')} on ${name}:\n${trail.join('\n')}`;
    let killsInCommit = 0;
    let sampled = 0;

    /**
     * One CLI run; with a seed it gets SIGKILL. Odd seeds aim at a commit: the moment a tar's
     * commit intent shows in the store (then 0-150 ms more; anywhere 60 s after the job started
     * without one). Even seeds aim anywhere: at the start, or 0.2 s to `pace.killWithinMs` after
     * the job started (recovery and discovery done).
     */
    const runOnce = (kill?: { seed: number }) =>
      new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string; events: JobEvent[]; ms: number }>((resolve, reject) => {
        const started = Date.now();
        const child = spawn(process.execPath, [bin, 'sync', 'plain', '--json', '--config', configPath], { env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        const events: JobEvent[] = [];
        let pending = '';
        let timer: NodeJS.Timeout | undefined;
        let exited = false;
        const next = kill ? random(kill.seed) : undefined;
        const killAfter = (ms: number) => {
          timer ??= setTimeout(() => child.kill('SIGKILL'), ms);
        };
        const aimAtCommit = kill !== undefined && kill.seed % 2 === 1;
        // A few kills land during start-up and recovery itself.
        const early = next !== undefined && !aimAtCommit && next() < 0.2;
        if (early) killAfter(300 + (next?.() ?? 0) * 2000);
        if (next && aimAtCommit) {
          void (async () => {
            while (!exited && timer === undefined) {
              const intents = await view.intentKeys();
              if (intents.some((key) => tarHashes.has(key.slice(-45, -5)))) killAfter(next() * 150);
              else await new Promise((resolve) => setTimeout(resolve, pace.pollMs));
            }
          })();
        }
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            if (!line.startsWith('{')) continue;
            const event = JSON.parse(line) as JobEvent;
            events.push(event);
            if (next && event.type === 'job.started' && !early) {
              if (aimAtCommit) setTimeout(() => killAfter(0), 60_000).unref();
              else killAfter(200 + next() * (pace.killWithinMs - 200));
            }
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        child.once('error', reject);
        child.once('close', (code, signal) => {
          exited = true;
          clearTimeout(timer);
          resolve({ code, signal, output, events, ms: Date.now() - started });
        });
      });

    /** Samples the store while a run is going: the half-visible check, with `_octo` listed before and after the data. */
    const sampleWhile = (running: Promise<unknown>) => {
      let done = false;
      void running.finally(() => (done = true));
      return (async () => {
        const seen: string[] = [];
        while (!done) {
          const before = await view.octoKeys();
          const data = await view.dataKeys();
          const after = await view.octoKeys();
          sampled += 1;
          seen.push(...halfVisible(data, [before, after], fixture.outputs));
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
        return seen;
      })();
    };

    for (const seed of SEEDS) {
      const running = runOnce({ seed });
      const seen = sampleWhile(running);
      const run = await running;
      expect(await seen, fail(`seed ${seed}: a source was half-visible while the job ran`)).toEqual([]);
      expect(run.output, fail(`seed ${seed}: the run was refused by a stale lock`)).not.toContain('already syncing');
      const octo = await view.octoKeys();
      const intents = octo.filter((key) => key.startsWith('_octo/intents/'));
      if (run.signal === 'SIGKILL' && intents.length > 0) killsInCommit += 1;
      const repaired = run.output.split('\n').filter((line) => line.includes('recovery: ')).map((line) => line.replace(/^octo: warn: recovery: (\S+) .*$/, '$1'));
      if (repaired.length > 0) trail.push(`seed ${seed}: recovery: ${[...new Set(repaired)].map((action) => `${repaired.filter((a) => a === action).length} ${action}`).join(', ')}`);
      const done = octo.filter((key) => key.startsWith('_octo/ledger/')).length;
      trail.push(`seed ${seed}: ${run.signal === 'SIGKILL' ? 'killed' : `exited ${run.code}`} after ${run.events.length} events, ${run.ms} ms; ${done} recorded, ${intents.length} intent(s) left${run.code ? `\n${run.output.slice(-600)}` : ''}`);
      // Between kills nothing moves: the check is exact.
      expect(halfVisible(await view.dataKeys(), [octo], fixture.outputs), fail(`seed ${seed}: a source is half-visible after the kill`)).toEqual([]);
    }

    let finished = false;
    for (let attempt = 0; attempt < 3 && !finished; attempt += 1) {
      const run = await runOnce();
      const summary = run.events.flatMap((event) => (event.type === 'job.finished' ? [event.summary] : []))[0];
      trail.push(`final run ${attempt + 1}: ${run.ms} ms, exited ${run.code}, ${summary?.succeeded ?? '?'} succeeded, ${summary?.failed ?? '?'} failed`);
      expect(run.code, fail(`final run ${attempt + 1} failed:\n${run.output.slice(-2000)}`)).toBe(0);
      finished = summary?.total === 0;
    }
    expect(finished, fail('the job never reached "nothing to do"')).toBe(true);

    // Every file landed exactly once with the right bytes, and nothing else is visible.
    const data = await view.dataKeys();
    expect(data, fail('the visible objects differ from what the 50 files hold')).toEqual([...fixture.outputs.keys()].sort());
    for (const key of data) expect(sha256(await view.read(key)), fail(`${key} has the wrong bytes`)).toBe(fixture.outputs.get(key)?.sha256);
    // The ledger: one record per source, each listing exactly its outputs.
    const octo = await view.octoKeys();
    const ledgerKeys = octo.filter((key) => key.startsWith('_octo/ledger/plain/'));
    expect(ledgerKeys, fail('the ledger is not one record per source')).toHaveLength(fixture.sources.length);
    const recorded = new Map<string, string[]>();
    for (const key of ledgerKeys) {
      const record = JSON.parse((await view.read(key)).toString('utf8')) as { path: string; outputs: Array<{ key: string; sha256: string }> };
      recorded.set(record.path, record.outputs.map((output) => `${output.key}=${output.sha256}`).sort());
    }
    for (const source of fixture.sources) {
      const expected = [...fixture.outputs].filter(([, output]) => output.source === source).map(([key, output]) => `${key}=${output.sha256}`).sort();
      expect(recorded.get(source), fail(`the ledger record of ${source}`)).toEqual(expected);
    }
    // Nothing left that blocks, bills or half-shows.
    // (Completion markers and key claims stay by design: they belong to the landed files.)
    expect(octo.filter((key) => /^_octo\/(intents|staging|runs)\//.test(key)), fail('intents, journals or run registrations are left')).toEqual([]);
    expect(await view.openUploads(), fail('multipart uploads are left open')).toBe(0);
    expect(await view.stagingFiles(), fail('staging files are left')).toEqual([]);
    expect(await listFiles(path.join(workDir, 'tmp')), fail('spools are left in the work directory')).toEqual([]);
    expect(await listFiles(path.join(workDir, 'locks')), fail('a lock is left')).toEqual([]);
    console.log(`crash test on ${name}: ${SEEDS.length} kills, ${killsInCommit} left a commit intent, ${sampled} samples\n${trail.join('\n')}`);
    expect(killsInCommit, fail('no kill landed in a commit: the test did not test recovery')).toBeGreaterThan(0);
  }

  it('should land every file exactly once on S3, with nothing left behind', async () => {
    const bucket = 'crash-s3';
    await createBucket(stack.reader, bucket);
    const all = async () => listKeys(stack.reader, bucket);
    await killAndRecover(
      's3',
      { url: 's3://', endpoint: stack.moto.endpoint, forcePathStyle: true, region: 'us-east-1', partSizeMiB: 5, maxAttempts: 3 },
      {
        dataKeys: async () => (await all()).filter((key) => key.startsWith('data/')),
        octoKeys: async () => (await all()).filter((key) => key.startsWith('_octo/')),
        intentKeys: () => listKeys(stack.reader, bucket, '_octo/intents/'),
        read: (key) => readObject(stack.reader, bucket, key),
        openUploads: async () => (await openUploads(stack.reader, bucket)).length,
        stagingFiles: async () => [],
      },
      path.join(stack.dir, 'work-s3'),
      { killWithinMs: 8000, pollMs: 100 },
    );
  }, 600_000);

  it('should land every file exactly once on the local store, with nothing left behind', async () => {
    const buckets = path.join(stack.dir, 'buckets');
    const bucketDir = path.join(buckets, 'crash-local');
    // Each top folder walked on its own: staging folders come and go during the run, and a walk of the whole bucket would race them.
    const under = async (top: string) => (await listFiles(path.join(bucketDir, top))).map((file) => `${top}/${file}`);
    await killAndRecover(
      'local',
      `file://${buckets}`,
      {
        dataKeys: () => under('data'),
        octoKeys: () => under('_octo'),
        intentKeys: async () => (await listFiles(path.join(bucketDir, '_octo/intents'))).map((file) => `_octo/intents/${file}`),
        read: (key) => readFile(path.join(bucketDir, key)),
        openUploads: async () => 0,
        stagingFiles: () => listFiles(path.join(bucketDir, '.octo-staging')),
      },
      path.join(stack.dir, 'work-local'),
      { killWithinMs: 2000, pollMs: 5 },
    );
  }, 600_000);
});
