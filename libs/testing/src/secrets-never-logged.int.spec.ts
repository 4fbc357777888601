import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSummary, OctoConfigInput } from '@octo/core';
import { encryptBytes } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { runOctoCli, WORKSPACE_ROOT, type OctoCliRun } from './octo-cli.js';
import { createBucket, listKeys, readObject } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';

const OCTO_BIN = fileURLToPath(new URL('../../../apps/cli/bin/octo.mjs', import.meta.url));

/** A value no fixture, path or message would contain by chance. */
const planted = (what: string) => `octo-${what}-${randomBytes(12).toString('hex')}`;

/** Every secret the runs below use (or are wrongly given), each distinctive. */
const SECRETS = {
  pgpPassphrase: planted('pgp-passphrase'),
  pgpKeyPassphrase: planted('pgp-key-passphrase'),
  wrongSftpPassword: planted('sftp-password'),
  awsSecret: planted('aws-secret'),
  apiToken: planted('api-token'),
  wrongApiToken: planted('wrong-api-token'),
};

/** The forms a secret could leak in: as is, URL-encoded, base64 and hex. */
function leakForms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')];
}

/** Every (file, secret) pair where a planted secret shows up in `text`. */
function leaks(where: string, text: string | Buffer, secrets: Record<string, string>): string[] {
  const haystack = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const form of leakForms(secret)) if (haystack.includes(form)) found.push(`${name} in ${where}`);
  }
  return found;
}

/** Every file under `dir`, recursively, except those `skip` names. */
async function filesUnder(dir: string, skip: (file: string) => boolean): Promise<string[]> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if (skip(full)) continue;
    if ((await stat(full)).isFile()) out.push(full);
  }
  return out;
}

/** An S3 endpoint that refuses every request as a wrong secret would be refused. */
async function startDenyingS3(): Promise<{ endpoint: string; requests: string[]; stop(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url} ${JSON.stringify(request.headers)}`);
    request.resume();
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>';
    response.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) }).end(request.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('secrets never leak, at the most verbose log level, failures included', () => {
  let stack: SftpS3Stack;
  let denying: Awaited<ReturnType<typeof startDenyingS3>>;
  const env = { ...TEST_AWS_ENV, AWS_SECRET_ACCESS_KEY: SECRETS.awsSecret, OCTO_T_PGP_PASSPHRASE: SECRETS.pgpPassphrase, OCTO_T_API_TOKEN: SECRETS.apiToken, OCTO_T_SFTP_PASSWORD: SECRETS.wrongSftpPassword };
  const outputs: Array<{ where: string; text: string }> = [];
  let secretFiles: string[] = [];
  let config: string;
  let denyingConfig: string;

  beforeAll(async () => {
    stack = await startSftpS3Stack('octo-secrets-');
    denying = await startDenyingS3();
    const { sshd, moto, dir, reader } = stack;
    // Secrets in files, the way the config references them.
    const secretsDir = path.join(dir, 'secrets');
    await mkdir(secretsDir, { recursive: true });
    const key = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Octo', email: 'octo@octo.invalid' }], passphrase: SECRETS.pgpKeyPassphrase, format: 'armored' });
    const files = {
      pgpKey: path.join(secretsDir, 'private.asc'),
      pgpKeyPassphrase: path.join(secretsDir, 'key-passphrase.txt'),
      sshPassphrase: path.join(secretsDir, 'ssh-passphrase.txt'),
    };
    await writeFile(files.pgpKey, key.privateKey);
    await writeFile(files.pgpKeyPassphrase, SECRETS.pgpKeyPassphrase);
    await writeFile(files.sshPassphrase, `${sshd.userKeyPassphrase}\n`);
    secretFiles = Object.values(files);

    const drop = path.join(sshd.dropDir, 'secrets');
    await mkdir(drop, { recursive: true });
    await writeFile(path.join(drop, 'sym_20261101.csv.gpg'), await encryptBytes(Buffer.from('id,amount\n1,10\n'), { passphrase: SECRETS.pgpPassphrase }));
    await writeFile(path.join(drop, 'key_20261102.csv.gpg'), await encryptBytes(Buffer.from('id,amount\n2,20\n'), { publicKey: key.publicKey }));
    // Encrypted with another passphrase: the configured one is wrong for it.
    await writeFile(path.join(drop, 'wrong_20261103.csv.gpg'), await encryptBytes(Buffer.from('id,amount\n3,30\n'), { passphrase: 'the partner used another one' }));
    await createBucket(reader, 'secrets-bucket');
    await createBucket(reader, 'secrets-bucket-2');

    const sftp = `sftp://${sshd.user}@127.0.0.1:${sshd.port}${drop}`;
    const providers: OctoConfigInput['providers'] = {
      good: {
        plugin: 'example',
        bucket: 'secrets-bucket',
        settings: { seed: false },
        source: { url: sftp, hostKey: sshd.hostKeyFingerprint, privateKey: `file:${sshd.protectedUserKeyFile}`, privateKeyPassphrase: `file:${files.sshPassphrase}` },
        decryption: { passphrase: 'env:OCTO_T_PGP_PASSPHRASE', privateKeys: [{ key: `file:${files.pgpKey}`, passphrase: `file:${files.pgpKeyPassphrase}` }] },
      },
      'bad-sftp': {
        plugin: 'example',
        bucket: 'secrets-bucket-2',
        settings: { seed: false },
        source: { url: sftp, hostKey: sshd.hostKeyFingerprint, password: 'env:OCTO_T_SFTP_PASSWORD' },
      },
    };
    const api = { tokens: ['env:OCTO_T_API_TOKEN'], port: 0, logLevel: 'trace' };
    const s3 = (endpoint: string) => ({ url: 's3://', endpoint, forcePathStyle: true, region: 'us-east-1', maxAttempts: 2 });
    config = await writeOctoConfig(dir, { store: s3(moto.endpoint), workDir: path.join(dir, 'work'), providers, api });
    denyingConfig = await writeOctoConfig(dir, { store: s3(denying.endpoint), workDir: path.join(dir, 'work-denied'), providers, api }, 'denying.yaml');
  });

  afterAll(async () => {
    await denying?.stop();
    await stack?.stop();
  });

  const record = (where: string, run: OctoCliRun) => {
    outputs.push({ where: `${where} stdout`, text: run.stdout }, { where: `${where} stderr`, text: run.stderr });
  };

  it('should keep them out of every CLI line and event, while the job lands what it can and reports each failure', async () => {
    const text = await runOctoCli(['sync', 'good', 'bad-sftp', '-vv', '--config', config], { env });
    record('octo sync -vv', text);
    const json = await runOctoCli(['sync', 'good', 'bad-sftp', '-vv', '--json', '--config', config], { env });
    record('octo sync -vv --json', json);
    const denied = await runOctoCli(['sync', 'good', '-vv', '--json', '--config', denyingConfig], { env });
    record('octo sync -vv --json (S3 refuses the secret)', denied);

    // The secrets were really used and the failures really happened.
    expect(text.code, text.stderr).toBe(2);
    expect(text.stdout).toMatch(/good\s+partial\s+2\s+1\s+3/);
    expect(await listKeys(stack.reader, 'secrets-bucket', 'data/')).toEqual(['data/csv/good/2026-11-01/sym_20261101.csv', 'data/csv/good/2026-11-02/key_20261102.csv']);
    // The providers run at once: their summaries come in the order they finish.
    const summary = (provider: string) => json.summaries.find((s) => s.provider === provider) as JobSummary;
    const [good, badSftp] = [summary('good'), summary('bad-sftp')];
    expect(good).toMatchObject({ provider: 'good', status: 'partial', failed: 1, total: 1 });
    expect(good.files).toEqual([expect.objectContaining({ path: 'wrong_20261103.csv.gpg', status: 'failed', kind: 'decrypt' })]);
    expect(badSftp).toMatchObject({ provider: 'bad-sftp', status: 'failed', error: { kind: 'auth' } });
    expect(badSftp.error!.reason).toContain('the server refused the password');
    expect(denied.summaries[0]).toMatchObject({ provider: 'good', status: 'failed', error: { kind: 'store' } });
    expect(denied.summaries[0]!.error!.reason).toContain('access to bucket secrets-bucket at');
    // -vv is debug: the most verbose level the CLI has.
    expect(text.stderr).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] DEBUG: /m);
    expect(denying.requests.length).toBeGreaterThan(0);

    expect(outputs.flatMap(({ where, text: output }) => leaks(where, output, SECRETS))).toEqual([]);
    expect(denying.requests.flatMap((request, index) => leaks(`request ${index} to the denying S3`, request, SECRETS))).toEqual([]);
  });

  it('should keep them out of the API log, every API answer and event stream, wrong tokens included', async () => {
    const child = spawn(process.execPath, [OCTO_BIN, 'serve', '-vv', '--config', config], { cwd: WORKSPACE_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      for (let i = 0; i < 200 && !/API listening on (http:\S+)/.test(stderr); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      const base = /API listening on (http:\S+)/.exec(stderr)?.[1];
      expect(base, stderr).toBeDefined();
      const answers: string[] = [];
      const call = async (url: string, init: RequestInit = {}) => {
        const response = await fetch(`${base}${url}`, init);
        const body = await response.text();
        const headers: string[] = [];
        response.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
        answers.push(`${init.method ?? 'GET'} ${url} -> ${response.status}\n${headers.join('\n')}\n${body}`);
        return { status: response.status, body };
      };
      const right = { authorization: `Bearer ${SECRETS.apiToken}` };
      for (const headers of [{ authorization: `Bearer ${SECRETS.wrongApiToken}` }, { authorization: SECRETS.wrongApiToken }, { authorization: `Basic ${Buffer.from(`octo:${SECRETS.wrongApiToken}`).toString('base64')}` }]) {
        expect((await call('/v1/jobs', { headers })).status).toBe(401);
      }
      const started = await call('/v1/providers/good/jobs', { method: 'POST', headers: right });
      expect(started.status).toBe(202);
      const id = (JSON.parse(started.body) as { id: string }).id;
      const events = await call(`/v1/jobs/${id}/events`, { headers: right });
      expect(events.body).toContain('event: job.finished');
      const job = await call(`/v1/jobs/${id}`, { headers: right });
      // The wrong-passphrase file fails again: a failure is in what the API shows.
      expect(JSON.parse(job.body)).toMatchObject({ status: 'partial', files: [expect.objectContaining({ path: 'wrong_20261103.csv.gpg', kind: 'decrypt' })] });
      await call('/v1/providers', { headers: right });
      await call('/v1/jobs', { headers: right });
      await call('/metrics', { headers: right });
      await call('/readyz');
      await call('/openapi.json');
      const failedStart = await call('/v1/providers/bad-sftp/jobs', { method: 'POST', headers: right });
      expect(failedStart.status).toBe(202);
      const failedId = (JSON.parse(failedStart.body) as { id: string }).id;
      await call(`/v1/jobs/${failedId}/events`, { headers: right });
      const failedJob = await call(`/v1/jobs/${failedId}`, { headers: right });
      expect(JSON.parse(failedJob.body)).toMatchObject({ status: 'failed', error: { kind: 'auth' } });

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // pino at trace logs every request (on stderr, so stdout stays the user's); the wrong tokens were refused in it.
      expect(stderr).toContain('request refused: not authenticated');
      const found = [
        ...leaks('octo serve stdout', stdout, SECRETS),
        ...leaks('octo serve stderr', stderr, SECRETS),
        ...answers.flatMap((answer, index) => leaks(`API answer ${index}: ${answer.split('\n')[0]}`, answer, SECRETS)),
      ];
      expect(found).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('should keep them out of every file the runs wrote (job reports, locks, anything in the work folders) and every object in the buckets (ledger records included)', async () => {
    const { dir, reader, sshd } = stack;
    const written = await filesUnder(dir, (file) => secretFiles.includes(file) || file.startsWith(sshd.dir));
    expect(written.some((file) => file.includes(`${path.sep}jobs${path.sep}`))).toBe(true);
    const found: string[] = [];
    for (const file of written) found.push(...leaks(path.relative(dir, file), await readFile(file), SECRETS));
    const keys = [...(await listKeys(reader, 'secrets-bucket')), ...(await listKeys(reader, 'secrets-bucket-2')).map((key) => `2:${key}`)];
    expect(keys.filter((key) => key.startsWith('_octo/ledger/good/'))).toHaveLength(2);
    for (const key of keys) {
      const [bucket, objectKey] = key.startsWith('2:') ? ['secrets-bucket-2', key.slice(2)] : ['secrets-bucket', key];
      found.push(...leaks(`s3://${bucket}/${objectKey}`, await readObject(reader, bucket, objectKey), SECRETS));
    }
    expect(found).toEqual([]);
  });
});
