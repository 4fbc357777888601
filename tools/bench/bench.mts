// Octo against its peers on the same bytes, in one run: the real CLI (bundled, as deployed)
// reads the data sets from the harness's sshd and lands them in moto and in the local store;
// each stage alone, the sequential and the streamed tool chains, and rclone run on the same
// files, interleaved, medians of N. See tools/bench/README.md.
// Usage: npm run bench [-- --quick] [--runs N] [--only A,C,WAN] [--cases octo-] [--engines auto,openpgp,gnupg] [--cpu-prof DIR]
import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteBucketCommand, DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { JobSummary } from '@octo/core';
import {
  buildOctoCliBundle,
  createBucket,
  listKeys,
  openUploads,
  removeOctoCliBundle,
  startLatencyProxy,
  startMotoS3,
  startSshd,
  TEST_AWS_ENV,
  WORKSPACE_ROOT,
  writeOctoConfig,
  type LatencyProxy,
  type MotoS3Server,
  type SshdServer,
} from '@octo/testing';
import { ensureDatasets, FULL_SPEC, QUICK_SPEC, type Dataset, type Datasets } from './datasets.mjs';
import { measure, shellQuote } from './measure.mjs';
import { compare, cpuSecondsPerGigabyte, formatRatio, interleave, markdownTable, megabytesPerSecond, summarise, table, type CaseSummary, type Direction, type Sample } from './stats.mjs';

const MiB = 1024 * 1024;
/** Numbers each run's fresh sink (bucket and folder). */
let sequence = 0;
/** Names this run's result files. */
const stamp = new Date().toISOString().replaceAll(':', '-').slice(0, 19);
const WAN_ROUND_TRIP_MS = 50;
/** The far-away partner's source sets the wide SFTP channel window, as docs/sftp-s3.md advises. */
const WAN_RECEIVE_WINDOW_MIB = 32;
/** `decryption.engine` values the bench can run; the default's cases and comparisons carry no engine tag. */
type Engine = 'auto' | 'openpgp' | 'gnupg';
const DEFAULT_ENGINE: Engine = 'auto';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string' },
    engines: { type: 'string', default: DEFAULT_ENGINE },
    'cpu-prof': { type: 'string' },
    /** Only cases whose id contains one of these (comma-separated), e.g. `octo-` to profile Octo alone. */
    cases: { type: 'string' },
    /** Octo's `concurrency` (files at once); default: Octo's own default. */
    concurrency: { type: 'string' },
    /** Octo's `store.partSizeMiB` for the S3 cases; default: Octo's own default. */
    'part-size-mib': { type: 'string' },
    /** Octo's `store.queueSize` (parts in flight per object) for the S3 cases; default: Octo's own. */
    'queue-size': { type: 'string' },
    /** Extra flags for the node that runs Octo (space-separated), e.g. `--max-semi-space-size=8`, to compare V8 settings. */
    'node-flags': { type: 'string' },
  },
});
const runs = Number(args.runs ?? (args.quick ? 1 : 3));
const spec = args.quick ? QUICK_SPEC : FULL_SPEC;
const only = new Set((args.only ?? 'A,A-25519,A-small,B,C,D,WAN').split(',').map((id) => id.trim()));
const engines = (args.engines ?? DEFAULT_ENGINE).split(',').map((engine) => engine.trim()) as Engine[];
const log = (line: string) => process.stderr.write(`${line}\n`);

/** One thing measured: an Octo run or a peer command. */
interface BenchCase {
  readonly id: string;
  readonly dataset: Dataset;
  readonly label: string;
  /** Prepares a fresh sink, returns the command and a check of what it produced. */
  prepare(round: number): Promise<{ command: string; stdoutFile?: string; verify(): Promise<void>; cleanup(): Promise<void> }>;
}

interface Env {
  readonly data: Datasets;
  readonly sshd: SshdServer;
  readonly moto: MotoS3Server;
  readonly s3: S3Client;
  readonly wan: LatencyProxy;
  readonly bundle: string;
  readonly scratch: string;
  readonly toolEnv: NodeJS.ProcessEnv;
  readonly wanKnownHosts: string;
}

const data = await ensureDatasets(path.join(WORKSPACE_ROOT, '.octo', 'bench-data'), spec, log);
log('starting sshd, moto and the latency proxy; bundling the CLI');
const [sshd, moto, bundle] = await Promise.all([startSshd(), startMotoS3(), buildOctoCliBundle()]);
const wan = await startLatencyProxy(sshd.port, { roundTripMs: WAN_ROUND_TRIP_MS });
const scratch = await mkdtemp(path.join(WORKSPACE_ROOT, '.octo', 'bench-run-'));
const s3 = moto.client();
// Both host keys: rclone may negotiate either, and pins whichever it gets.
const hostKeys = `${await readFile(sshd.knownHostsFile, 'utf8')}${await readFile(sshd.rsaKnownHostsFile, 'utf8')}`;
const lanKnownHosts = path.join(scratch, 'known_hosts');
await writeFile(lanKnownHosts, hostKeys);
const wanKnownHosts = path.join(scratch, 'known_hosts_wan');
await writeFile(wanKnownHosts, hostKeys.replaceAll(`]:${sshd.port} `, `]:${wan.port} `));
const rcloneRemote = (name: string, port: number, knownHosts: string) => ({
  [`RCLONE_CONFIG_${name}_TYPE`]: 'sftp',
  [`RCLONE_CONFIG_${name}_HOST`]: '127.0.0.1',
  [`RCLONE_CONFIG_${name}_PORT`]: String(port),
  [`RCLONE_CONFIG_${name}_USER`]: sshd.user,
  [`RCLONE_CONFIG_${name}_KEY_FILE`]: sshd.userKeyFile,
  [`RCLONE_CONFIG_${name}_KNOWN_HOSTS_FILE`]: knownHosts,
  // No remote md5sum over ssh: the fastest rclone, so the strictest peer.
  [`RCLONE_CONFIG_${name}_DISABLE_HASHCHECK`]: 'true',
});
const toolEnv: NodeJS.ProcessEnv = {
  ...process.env,
  ...TEST_AWS_ENV,
  AWS_DEFAULT_REGION: TEST_AWS_ENV.AWS_REGION,
  AWS_PAGER: '',
  AWS_CONFIG_FILE: '/dev/null',
  GNUPGHOME: data.gnupgHome,
  RCLONE_CONFIG: '/dev/null',
  ...rcloneRemote('SRC', sshd.port, lanKnownHosts),
  ...rcloneRemote('WAN', wan.port, wanKnownHosts),
  RCLONE_CONFIG_S3_TYPE: 's3',
  RCLONE_CONFIG_S3_PROVIDER: 'Other',
  RCLONE_CONFIG_S3_ACCESS_KEY_ID: TEST_AWS_ENV.AWS_ACCESS_KEY_ID,
  RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: TEST_AWS_ENV.AWS_SECRET_ACCESS_KEY,
  RCLONE_CONFIG_S3_ENDPOINT: moto.endpoint,
  RCLONE_CONFIG_S3_REGION: TEST_AWS_ENV.AWS_REGION,
  RCLONE_CONFIG_S3_FORCE_PATH_STYLE: 'true',
};
// Loopback http: a CA bundle from the environment only makes rclone's S3 client refuse to start.
delete toolEnv['AWS_CA_BUNDLE'];
const env: Env = { data, sshd, moto, s3, wan, bundle, scratch, toolEnv, wanKnownHosts };

const results = new Map<string, { benchCase: BenchCase; samples: Sample[] }>();
try {
  log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; runs per case: ${runs}; engines: ${engines.join(', ')}`);
  const wanted = args.cases?.split(',').map((part) => part.trim());
  for (const [dataset, all] of casesByDataset(env)) {
    const cases = wanted ? all.filter((item) => wanted.some((part) => item.id.includes(part))) : all;
    if (cases.length === 0) continue;
    log(`\n${dataset.id}: ${dataset.outputFiles} file(s), ${(dataset.sourceBytes / MiB).toFixed(0)} MiB encrypted, ${(dataset.outputBytes / MiB).toFixed(0)} MiB out`);
    for (const { round, item } of interleave(cases, runs)) {
      let prepared: Awaited<ReturnType<BenchCase['prepare']>> | undefined;
      try {
        prepared = await item.prepare(round);
        const measured = await measure(prepared.command, { env: toolEnv, stdoutFile: prepared.stdoutFile, cwd: WORKSPACE_ROOT });
        if (measured.code !== 0) {
          // Octo's --json events name the files that failed and why; stderr alone is often empty.
          const why = await prepared.verify().then(() => '', (error: unknown) => (error as Error).message);
          throw new Error(`${item.id} exited with ${measured.code}:\n${measured.stderrTail}${why}`);
        }
        await prepared.verify();
        const entry = results.get(item.id) ?? { benchCase: item, samples: [] };
        entry.samples.push(measured);
        results.set(item.id, entry);
        log(`  [${round}/${runs}] ${item.id.padEnd(28)} ${measured.seconds.toFixed(2).padStart(7)} s  ${measured.cpuSeconds.toFixed(2).padStart(7)} cpu-s (${measured.systemSeconds.toFixed(2)} sys)  ${(measured.maxRssKiB / 1024).toFixed(0).padStart(5)} MiB`);
      } catch (error) {
        log(`  [${round}/${runs}] ${item.id}: FAILED ${(error as Error).message}`);
      } finally {
        await prepared?.cleanup();
      }
    }
    // After every data set, so a run cut short still leaves its figures.
    await report(results, false);
  }
} finally {
  s3.destroy();
  await Promise.allSettled([wan.stop(), sshd.stop(), moto.stop(), removeOctoCliBundle(bundle), rm(scratch, { recursive: true, force: true })]);
}
await report(results, true);

/** Every case of every selected data set, in run order. */
function casesByDataset(env: Env): Array<[Dataset, BenchCase[]]> {
  const sets = env.data.sets;
  const out: Array<[Dataset, BenchCase[]]> = [];
  const octoCases = (dataset: Dataset, sinks: Array<'s3' | 'local'>, options: { wan?: boolean; subset?: string } = {}) =>
    engines.flatMap((engine) => sinks.map((sink) => octoCase(env, dataset, sink, engine, options)));
  if (only.has('A')) {
    const a = sets.A;
    out.push([
      a,
      [
        ...octoCases(a, ['s3', 'local']),
        ...stageCases(env, a),
        ...chainCases(env, a),
        peerCase(env, a, 'rclone-copy-s3', 'rclone copy sftp -> s3 (encrypted, no decrypt)', (t) => `rclone copy --config /dev/null SRC:${remoteDir(a)} S3:${t.bucket}/`, 's3'),
      ],
    ]);
  }
  if (only.has('C')) {
    const c = sets.C;
    const first = c.files.slice(0, Math.min(200, c.files.length));
    const loop = first
      .map((file) => `gpg --batch -q -d ${shellQuote(path.join(c.dir, file))} ${file.endsWith('.gz.gpg') ? '| gzip -dc ' : ''}> "$OUT/${file.replace(/(\.gz)?\.gpg$/, '')}"`)
      .join('\n');
    const c200: Dataset = { ...c, id: 'C', dir: path.join(c.dir, '..', 'c-200'), files: first, outputFiles: first.length, sourceBytes: Number.NaN, outputBytes: Number.NaN };
    out.push([
      c,
      [
        ...octoCases(c, ['s3', 'local']),
        peerCase(env, c, 'rclone-copy-s3-t8', 'rclone copy --transfers 8 sftp -> s3 (encrypted, no decrypt)', (t) => `rclone copy --config /dev/null --transfers 8 SRC:${remoteDir(c)} S3:${t.bucket}/`, 's3'),
        ...engines.map((engine) => octoCase(env, c200, 'local', engine, { subset: 'first-200' })),
        peerCase(env, c200, 'gpg-loop-200', `a sequential gpg -d loop over ${first.length} files -> local`, (t) => `OUT=${shellQuote(t.dir)}\n${loop}`, 'local', 'first-200'),
      ],
    ]);
  }
  if (only.has('A-small') || only.has('WAN') || only.has('B')) {
    const small = sets['A-small'];
    const cases: BenchCase[] = [];
    if (only.has('A-small') || only.has('B')) cases.push(...octoCases(small, ['s3', 'local']));
    if (only.has('A-small')) {
      cases.push(peerCase(env, small, 'gpg-gunzip-local', 'gpg -d file | gzip -dc > file', (t) => `gpg --batch -q -d ${shellQuote(localFile(small))} | gzip -dc > ${shellQuote(path.join(t.dir, 'out.csv'))}`));
    }
    if (only.has('WAN')) {
      cases.push(...octoCases(small, ['local'], { wan: true }));
      cases.push(peerCase(env, small, 'rclone-copy-local@wan', `rclone copy sftp -> local, ${WAN_ROUND_TRIP_MS} ms RTT`, (t) => `rclone copy --config /dev/null WAN:${remoteDir(small)} ${shellQuote(t.dir)}/`));
      cases.push(peerCase(env, small, 'rclone-copy-local', 'rclone copy sftp -> local, loopback', (t) => `rclone copy --config /dev/null SRC:${remoteDir(small)} ${shellQuote(t.dir)}/`));
    }
    out.push([small, cases]);
  }
  if (only.has('B')) out.push([sets.B, octoCases(sets.B, ['s3', 'local'])]);
  if (only.has('D')) {
    const d = sets.D;
    out.push([
      d,
      [
        ...octoCases(d, ['s3', 'local']),
        peerCase(env, d, 'stream-untar-local', 'rclone cat | gpg -d | gzip -dc | tar -x', (t) => `rclone cat --config /dev/null SRC:${remoteFile(d)} | gpg --batch -q -d | gzip -dc | tar -x -C ${shellQuote(t.dir)}`),
      ],
    ]);
  }
  if (only.has('A-25519')) {
    const a = sets['A-25519'];
    out.push([a, [...octoCases(a, ['s3', 'local']), peerCase(env, a, 'gpg-d', 'gpg -d (Curve25519)', () => `gpg --batch -q -d ${shellQuote(localFile(a))}`)]]);
  }
  return out;
}

function remoteDir(dataset: Dataset): string {
  return dataset.dir;
}
/** The data set's one file: the sshd serves the cache folder itself, so its remote and local paths are the same. */
function remoteFile(dataset: Dataset): string {
  return path.join(dataset.dir, dataset.files[0] ?? '');
}
function localFile(dataset: Dataset): string {
  return remoteFile(dataset);
}

/** The three stages alone (SFTP read, decrypt, gunzip) and the plain upload of the plaintext. */
function stageCases(env: Env, a: Dataset): BenchCase[] {
  return [
    peerCase(env, a, 'sftp-read', 'SFTP read alone (rclone cat > /dev/null)', () => `rclone cat --config /dev/null SRC:${remoteFile(a)}`),
    peerCase(env, a, 'gpg-d', 'gpg -d alone (file > /dev/null)', () => `gpg --batch -q -d ${shellQuote(localFile(a))}`),
    peerCase(env, a, 'gunzip', 'gzip -dc alone (file > /dev/null)', () => `gzip -dc ${shellQuote(a.gzipped ?? '')}`),
    peerCase(env, a, 'upload', 'plain upload of the plaintext (aws s3 cp)', (t) => `/usr/bin/aws --endpoint-url ${env.moto.endpoint} s3 cp --only-show-errors ${shellQuote(a.plaintext ?? '')} s3://${t.bucket}/a.csv`, 's3'),
  ];
}

/** The old job (temp files, one tool after the other) and the streamed shell pipe, into S3 and into a local file. */
function chainCases(env: Env, a: Dataset): BenchCase[] {
  const sftpGet = (dir: string) =>
    `sftp -q -i ${shellQuote(env.sshd.userKeyFile)} -P ${env.sshd.port} -o BatchMode=yes -o UserKnownHostsFile=${shellQuote(env.sshd.knownHostsFile)} ${env.sshd.user}@127.0.0.1:${shellQuote(remoteFile(a))} ${shellQuote(path.join(dir, 'a.csv.gz.gpg'))}`;
  const decryptGunzip = (dir: string) =>
    `gpg --batch -q -o ${shellQuote(path.join(dir, 'a.csv.gz'))} -d ${shellQuote(path.join(dir, 'a.csv.gz.gpg'))} && gzip -d ${shellQuote(path.join(dir, 'a.csv.gz'))}`;
  const stream = `rclone cat --config /dev/null SRC:${remoteFile(a)} | gpg --batch -q -d | gzip -dc`;
  return [
    peerCase(env, a, 'seq-chain-s3', 'sftp get; gpg -d; gzip -d; aws s3 cp (temp files)', (t) => `${sftpGet(t.dir)} && ${decryptGunzip(t.dir)} && /usr/bin/aws --endpoint-url ${env.moto.endpoint} s3 cp --only-show-errors ${shellQuote(path.join(t.dir, 'a.csv'))} s3://${t.bucket}/a.csv`, 's3'),
    peerCase(env, a, 'seq-chain-local', 'sftp get; gpg -d; gzip -d (temp files)', (t) => `${sftpGet(t.dir)} && ${decryptGunzip(t.dir)}`),
    peerCase(env, a, 'stream-chain-s3', 'rclone cat | gpg -d | gzip -dc | aws s3 cp -', (t) => `${stream} | /usr/bin/aws --endpoint-url ${env.moto.endpoint} s3 cp --only-show-errors - s3://${t.bucket}/a.csv`, 's3'),
    peerCase(env, a, 'stream-chain-local', 'rclone cat | gpg -d | gzip -dc > file', (t) => `${stream} > ${shellQuote(path.join(t.dir, 'a.csv'))}`),
  ];
}

/** A fresh sink per run: a new bucket in moto or a new folder, removed afterwards so moto and the disk stay small. */
async function freshSink(env: Env, kind: 's3' | 'local' | 'none'): Promise<{ bucket: string; dir: string; cleanup(): Promise<void> }> {
  sequence += 1;
  const bucket = `bench-${sequence}`;
  const dir = path.join(env.scratch, `run-${sequence}`);
  await mkdir(dir, { recursive: true });
  if (kind === 's3') await createBucket(env.s3, bucket);
  return {
    bucket,
    dir,
    cleanup: async () => {
      await rm(dir, { recursive: true, force: true });
      if (kind === 's3') await dropBucket(env.s3, bucket);
    },
  };
}

async function dropBucket(s3: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const keys = await listKeys(s3, bucket);
    if (keys.length === 0) break;
    for (let index = 0; index < keys.length; index += 1000) {
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(index, index + 1000).map((Key) => ({ Key })) } }));
    }
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

function peerCase(env: Env, dataset: Dataset, id: string, label: string, command: (sink: { bucket: string; dir: string }) => string, sink: 's3' | 'local' = 'local', subset?: string): BenchCase {
  return {
    id: `${dataset.id}${subset ? `/${subset}` : ''}:${id}`,
    dataset,
    label,
    prepare: async () => {
      const target = await freshSink(env, sink);
      return { command: command(target), verify: async () => undefined, cleanup: target.cleanup };
    },
  };
}

/** The S3 store settings given on the command line (`--part-size-mib`, `--queue-size`); Octo's defaults otherwise. */
function s3Tuning(): { partSizeMiB?: number; queueSize?: number } {
  return {
    ...(args['part-size-mib'] ? { partSizeMiB: Number(args['part-size-mib']) } : {}),
    ...(args['queue-size'] ? { queueSize: Number(args['queue-size']) } : {}),
  };
}

/** The real CLI, bundled, in a child process; the run counts only if every file landed and the byte count is right. */
function octoCase(env: Env, dataset: Dataset, sink: 's3' | 'local', engine: Engine, options: { wan?: boolean; subset?: string }): BenchCase {
  const tags = [sink, options.wan ? `wan${WAN_ROUND_TRIP_MS}` : '', engine === DEFAULT_ENGINE ? '' : engine].filter(Boolean).join('@');
  return {
    id: `${dataset.id}${options.subset ? `/${options.subset}` : ''}:octo-${tags}`,
    dataset,
    label: `octo sync -> ${sink === 's3' ? 'S3 (moto)' : 'local store'}${options.wan ? ` over ${WAN_ROUND_TRIP_MS} ms RTT` : ''}${engine === DEFAULT_ENGINE ? '' : ` (decryption.engine: ${engine})`}`,
    prepare: async (round) => {
      const target = await freshSink(env, sink);
      if (options.subset) await linkSubset(dataset);
      const port = options.wan ? env.wan.port : env.sshd.port;
      const keyFile = dataset.key === 'rsa' ? env.data.keyFiles.rsa : env.data.keyFiles.cv25519;
      const config = await writeOctoConfig(target.dir, {
        store:
          sink === 's3'
            ? { url: 's3://', endpoint: env.moto.endpoint, forcePathStyle: true, region: 'us-east-1', ...s3Tuning() }
            : `file://${path.join(target.dir, 'store')}`,
        workDir: path.join(target.dir, 'work'),
        ...(args.concurrency ? { concurrency: Number(args.concurrency) } : {}),
        providers: {
          bench: {
            plugin: 'example',
            bucket: target.bucket,
            source: { url: `sftp://${env.sshd.user}@127.0.0.1:${port}${dataset.dir}`, hostKey: env.sshd.hostKeyFingerprint, privateKey: `file:${env.sshd.userKeyFile}`, ...(options.wan ? { receiveWindowMiB: WAN_RECEIVE_WINDOW_MIB } : {}) },
            decryption: { privateKeys: [{ key: `file:${keyFile}` }], signature: 'ignore', engine } as never,
            settings: { seed: false },
          },
        },
      });
      const events = path.join(target.dir, 'events.ndjson');
      const profile = args['cpu-prof'] ? ` --cpu-prof --cpu-prof-dir=${shellQuote(path.resolve(args['cpu-prof']))} --cpu-prof-name=${shellQuote(`${dataset.id}-${tags}-${round}.cpuprofile`)}` : '';
      const nodeFlags = (args['node-flags'] ?? '').split(' ').filter(Boolean).map((flag) => ` ${shellQuote(flag)}`).join('');
      return {
        command: `exec ${shellQuote(process.execPath)}${nodeFlags}${profile} ${shellQuote(env.bundle)} sync bench --json --config ${shellQuote(config)}`,
        stdoutFile: events,
        verify: async () => {
          const summary = (await readFile(events, 'utf8'))
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as { type: string; summary?: JobSummary })
            .find((event) => event.type === 'job.finished')?.summary;
          if (summary?.status !== 'succeeded' || summary.succeeded !== dataset.files.length) {
            throw new Error(`octo did not land every file: ${JSON.stringify({ status: summary?.status, succeeded: summary?.succeeded, failed: summary?.files.filter((file) => file.status === 'failed').slice(0, 3) })}`);
          }
          if (Number.isFinite(dataset.outputBytes) && summary.bytesOut !== dataset.outputBytes) throw new Error(`octo landed ${summary.bytesOut} bytes, expected ${dataset.outputBytes}`);
          if (sink === 's3' && (await openUploads(env.s3, target.bucket)).length > 0) throw new Error('octo left multipart uploads open');
        },
        cleanup: target.cleanup,
      };
    },
  };
}

/** The first-200 subset of C is a folder of hard links beside C (same file system, no copy). */
async function linkSubset(dataset: Dataset): Promise<void> {
  if (existsSync(dataset.dir) && (await readdir(dataset.dir)).length === dataset.files.length) return;
  await rm(dataset.dir, { recursive: true, force: true });
  await mkdir(dataset.dir, { recursive: true });
  const source = path.join(dataset.dir, '..', 'c');
  for (const file of dataset.files) await link(path.join(source, file), path.join(dataset.dir, file));
}

interface Comparison {
  readonly label: string;
  readonly octo: string;
  readonly peers: readonly string[];
  /** `time`: wall-clock ratio; `cpu`: CPU-seconds; `rss`: peak RSS. */
  readonly measure: 'time' | 'cpu' | 'rss';
  readonly direction: Direction;
  readonly target?: number;
  /** How several peers combine: the slowest one (time), or their sum (CPU). */
  readonly combine?: 'max' | 'sum';
}

function comparisons(engine: Engine): Comparison[] {
  const e = engine === DEFAULT_ENGINE ? '' : `@${engine}`;
  return [
    { label: 'into S3 vs plain upload of the plaintext', octo: `A:octo-s3${e}`, peers: ['A:upload'], measure: 'time', direction: 'faster', target: 0.9 },
    { label: 'into S3 vs the sequential tool chain', octo: `A:octo-s3${e}`, peers: ['A:seq-chain-s3'], measure: 'time', direction: 'faster', target: 1.5 },
    { label: 'into S3 vs the streamed tool chain', octo: `A:octo-s3${e}`, peers: ['A:stream-chain-s3'], measure: 'time', direction: 'faster' },
    { label: 'into S3 vs rclone copy of the encrypted file', octo: `A:octo-s3${e}`, peers: ['A:rclone-copy-s3'], measure: 'time', direction: 'faster' },
    { label: 'local store vs the slowest stage alone', octo: `A:octo-local${e}`, peers: ['A:sftp-read', 'A:gpg-d', 'A:gunzip'], measure: 'time', direction: 'faster', target: 0.8, combine: 'max' },
    { label: 'local store vs the streamed tool chain to a file', octo: `A:octo-local${e}`, peers: ['A:stream-chain-local'], measure: 'time', direction: 'faster', target: 1.25 },
    { label: 'local store vs the sequential tool chain', octo: `A:octo-local${e}`, peers: ['A:seq-chain-local'], measure: 'time', direction: 'faster', target: 2 },
    { label: 'C, 2,000 small files, into S3 vs rclone copy --transfers 8', octo: `C:octo-s3${e}`, peers: ['C:rclone-copy-s3-t8'], measure: 'time', direction: 'faster', target: 1 },
    { label: `WAN (${WAN_ROUND_TRIP_MS} ms RTT), one large file vs rclone at the same latency`, octo: `A-small:octo-local@wan${WAN_ROUND_TRIP_MS}${e}`, peers: ['A-small:rclone-copy-local@wan'], measure: 'time', direction: 'faster', target: 2 },
    { label: 'CPU-s per GB into S3 vs the sum of the stages alone', octo: `A:octo-s3${e}`, peers: ['A:sftp-read', 'A:gpg-d', 'A:gunzip', 'A:upload'], measure: 'cpu', direction: 'lower', target: 1.2, combine: 'sum' },
    { label: 'CPU-s per GB into local vs the sum of the stages alone', octo: `A:octo-local${e}`, peers: ['A:sftp-read', 'A:gpg-d', 'A:gunzip'], measure: 'cpu', direction: 'lower', target: 1.2, combine: 'sum' },
    { label: 'local store, A-small, vs gpg -d | gzip -dc > file', octo: `A-small:octo-local${e}`, peers: ['A-small:gpg-gunzip-local'], measure: 'time', direction: 'faster' },
    { label: 'local store, 200 small files, vs a gpg -d loop', octo: `C/first-200:octo-local${e}`, peers: ['C/first-200:gpg-loop-200'], measure: 'time', direction: 'faster' },
    { label: 'D, tar of 500 entries, local vs rclone cat | gpg | gzip | tar -x', octo: `D:octo-local${e}`, peers: ['D:stream-untar-local'], measure: 'time', direction: 'faster' },
    { label: 'peak RSS, B (2 GiB) into S3 vs A-small into S3', octo: `B:octo-s3${e}`, peers: [`A-small:octo-s3${e}`], measure: 'rss', direction: 'lower', target: 1.1 },
    { label: 'peak RSS, B (2 GiB) into local vs A-small into local', octo: `B:octo-local${e}`, peers: [`A-small:octo-local${e}`], measure: 'rss', direction: 'lower', target: 1.1 },
    { label: 'A to Curve25519 vs A to RSA-3072, into S3 (time)', octo: `A-25519:octo-s3${e}`, peers: [`A:octo-s3${e}`], measure: 'time', direction: 'faster' },
  ];
}

async function report(results: Map<string, { benchCase: BenchCase; samples: Sample[] }>, final: boolean): Promise<void> {
  const summaries = new Map<string, CaseSummary>();
  for (const [id, { samples }] of results) summaries.set(id, summarise(samples));
  const caseRows = [...results.values()].map(({ benchCase }) => {
    const summary = summaries.get(benchCase.id) ?? summarise([]);
    const { dataset } = benchCase;
    return [
      benchCase.id,
      benchCase.label,
      summary.seconds.toFixed(2),
      megabytesPerSecond(dataset.sourceBytes, summary.seconds).toFixed(1),
      megabytesPerSecond(dataset.outputBytes, summary.seconds).toFixed(1),
      (dataset.outputFiles / summary.seconds).toFixed(1),
      (summary.maxRssKiB / 1024).toFixed(0),
      cpuSecondsPerGigabyte(summary.cpuSeconds, dataset.outputBytes).toFixed(2),
    ];
  });
  const caseHeader = ['case', 'what', 'median s', 'src MB/s', 'out MB/s', 'files/s', 'peak RSS MiB', 'CPU-s/GB out'];
  const value = (id: string, measure: Comparison['measure']): number => {
    const summary = summaries.get(id);
    if (!summary) return Number.NaN;
    if (measure === 'rss') return summary.maxRssKiB;
    // CPU per GB of the data set's output, so cases of one data set compare directly.
    return measure === 'cpu' ? summary.cpuSeconds : summary.seconds;
  };
  const compareRows: string[][] = [];
  for (const engine of engines) {
    for (const comparison of comparisons(engine)) {
      if (!summaries.has(comparison.octo)) continue;
      const peerValues = comparison.peers.map((peer) => value(peer, comparison.measure));
      const peer = comparison.combine === 'sum' ? peerValues.reduce((sum, v) => sum + v, 0) : Math.max(...peerValues);
      const verdict = compare(value(comparison.octo, comparison.measure), peer, comparison.direction, comparison.target);
      const sign = comparison.direction === 'faster' ? '≥' : '≤';
      compareRows.push([
        `${comparison.label}${engine === DEFAULT_ENGINE ? '' : ` [${engine}]`}`,
        formatRatio(verdict.ratio),
        comparison.target === undefined ? '(reference)' : `${sign} ${comparison.target}×`,
        verdict.met === undefined ? '' : verdict.met ? 'met' : 'NOT met',
      ]);
    }
    const b = summaries.get(`B:octo-s3${engine === DEFAULT_ENGINE ? '' : `@${engine}`}`);
    if (b) compareRows.push([`peak RSS, B into S3 [${engine}]`, `${(b.maxRssKiB / 1024).toFixed(0)} MiB`, '≤ 256 MiB', b.maxRssKiB / 1024 <= 256 ? 'met' : 'NOT met']);
  }
  const compareHeader = ['comparison (faster: peer time / Octo time; lower: Octo / peer)', 'ratio', 'target', ''];
  if (final) process.stdout.write(`\nCases (medians of ${runs}):\n${table(caseHeader, caseRows)}\n\nComparisons:\n${table(compareHeader, compareRows)}\n`);
  const outDir = path.join(WORKSPACE_ROOT, '.octo', 'bench-results');
  await mkdir(outDir, { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}`;
  await writeFile(
    path.join(outDir, `${stamp}.md`),
    `# bench ${stamp} (${args.quick ? 'quick' : 'full'}, medians of ${runs})\n\n${machine}\n\n${markdownTable(compareHeader, compareRows)}\n\n${markdownTable(caseHeader, caseRows)}\n`,
  );
  await writeFile(path.join(outDir, `${stamp}.json`), `${JSON.stringify({ machine, runs, spec, results: Object.fromEntries([...results].map(([id, { samples }]) => [id, samples])) }, null, 2)}\n`);
  if (final) log(`\nresults: ${path.relative(WORKSPACE_ROOT, path.join(outDir, `${stamp}.md`))}`);
}
await import('./startup.mjs');
