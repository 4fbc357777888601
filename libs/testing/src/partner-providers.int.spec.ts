import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileResult, JobEvent, JobSummary, LedgerRecord, OctoConfigInput } from '@octo/core';
import { encryptBytes, generateTestKey, sha256, signDetached, tarOf } from '@octo/core/testing';
import { writeOctoConfig } from './config-files.js';
import { TEST_AWS_ENV } from './moto-s3-server.js';
import { runOctoCli, type OctoCliRun } from './octo-cli.js';
import { createBucket, listKeys, openUploads, readObject } from './s3-inspect.js';
import { startSftpS3Stack, type SftpS3Stack } from './sftp-s3-stack.js';
import type { SshdServer } from './sshd-server.js';

// The two partner plugins on the real path: an OpenSSH sftp:// drop (host key pinned, user key),
// a moto s3:// bucket, and the `octo` CLI as a child process. Plugins are chosen by `plugin:` in
// the config (this library never imports a provider). Keys, passphrase and files are made here.

const ACME_BUCKET = 'acme-bank-statements';
const GLOBEX_BUCKET = 'globex-payroll';
const LEDGER = '_octo/ledger/';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// A statement as the bank writes it: header, rows (one amount random, so no two are alike), and a trailer stating the row count.
const statementCsv = (account: string, date: string, statedRows = 2) =>
  Buffer.from(`account,date,amount,currency\n${account},${date},1250.00,EUR\n${account},${date},-${randomBytes(2).readUInt16BE()}.10,EUR\nTRAILER,${statedRows}\n`);

const payslipPdf = (employee: string, week: string, padding = 2048) =>
  Buffer.from(`%PDF-1.7\n% payslip ${employee} ${week}\n${randomBytes(padding).toString('base64')}\n%%EOF\n`);

/** A Globex manifest; a file given with its bytes states its sha256 too. */
const manifestOf = (period: string, files: Array<string | [string, Buffer]>) =>
  [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<manifest period="${period}" employer="Globex Corporation">`,
    ...files.map((item) => {
      const [file, bytes] = typeof item === 'string' ? [item, undefined] : item;
      return `  <payslip employee="${path.basename(file, '.pdf')}" file="${file}"${bytes ? ` sha256="${sha256(bytes)}"` : ''}/>`;
    }),
    '</manifest>',
    '',
  ].join('\n');


const fileResult = (summary: JobSummary | undefined, filePath: string): FileResult | undefined => summary?.files.find((file) => file.path === filePath);
const reasonOf = (result: FileResult | undefined) => (result && result.status === 'failed' ? result.reason : undefined);
const outputKeys = (result: FileResult | undefined) => (result && result.status === 'done' ? result.outputs.map((output) => output.key).sort() : []);
const failedEvents = (run: OctoCliRun) => run.events.filter((event): event is Extract<JobEvent, { type: 'file.failed' }> => event.type === 'file.failed');
/** A run's output, for assertion messages. */
const told = (run: OctoCliRun) => `exit ${run.code}\n--- stderr\n${run.stderr}\n--- stdout\n${run.stdout.slice(0, 4000)}`;

describe('the partner providers (acme-bank, globex-payroll) on sftp:// and s3:// through the octo CLI', () => {
  let stack: SftpS3Stack;
  let sshd: SshdServer;
  let reader: S3Client;
  let dir: string;
  let configPath: string;
  let acmeDrop: string;
  let globexDrop: string;

  const sync = (provider: string) => runOctoCli(['sync', provider, '--json', '--config', configPath], { env: TEST_AWS_ENV });
  const ledgerRecords = async (bucket: string, provider: string): Promise<LedgerRecord[]> => {
    const keys = await listKeys(reader, bucket, `${LEDGER}${provider}/`);
    const records = await Promise.all(keys.map(async (key) => JSON.parse((await readObject(reader, bucket, key)).toString('utf8')) as LedgerRecord));
    return records.sort((a, b) => a.path.localeCompare(b.path));
  };

  // acme-bank: our key (statements are encrypted to it), the bank's signing key, an impostor's.
  let bank: { privateKey: string; publicKey: string };
  const statements = new Map<string, Buffer>();
  const delivered = new Map<string, Buffer>();

  // globex-payroll: the payslips of each week.
  const slips = new Map<string, Buffer>();

  beforeAll(async () => {
    const [started, ours, bankKey, impostor] = await Promise.all([
      startSftpS3Stack('octo-partners-'),
      generateTestKey('Octo Ingest'),
      generateTestKey('Acme Bank Signing'),
      generateTestKey('Someone Else'),
    ]);
    stack = started;
    ({ sshd, reader, dir } = stack);
    bank = bankKey;

    // Secrets live in files, referenced as file: secrets; the config holds none.
    const secrets = path.join(dir, 'secrets');
    await mkdir(secrets);
    const passphrase = randomBytes(18).toString('base64url');
    await Promise.all([
      writeFile(path.join(secrets, 'octo-private.asc'), ours.privateKey),
      writeFile(path.join(secrets, 'acme-bank-signing.asc'), bank.publicKey),
      writeFile(path.join(secrets, 'globex-passphrase.txt'), passphrase),
    ]);

    // The drops, inside the folder the SFTP server serves.
    acmeDrop = path.join(sshd.dropDir, 'acme-bank');
    globexDrop = path.join(sshd.dropDir, 'globex-payroll');
    await mkdir(path.join(acmeDrop, 'out'), { recursive: true });
    await mkdir(globexDrop, { recursive: true });

    const deliverStatement = async (name: string, account: string, date: string, sig?: { by: string; armored: boolean }, statedRows?: number) => {
      const csv = statementCsv(account, date, statedRows);
      statements.set(name, csv);
      const bytes = await encryptBytes(gzipSync(csv), { publicKey: ours.publicKey });
      delivered.set(name, bytes);
      await writeFile(path.join(acmeDrop, name), bytes);
      if (sig) await writeFile(path.join(acmeDrop, `${name}.sig`), await signDetached(bytes, sig.by, { armored: sig.armored }));
    };
    await Promise.all([
      // Signed by the bank: an armored and a binary signature, one in a sub-folder.
      deliverStatement('stmt_12345678_20261101.csv.gz.gpg', '12345678', '20261101', { by: bank.privateKey, armored: true }),
      deliverStatement('out/stmt_GB29-NWBK_20261231.csv.gz.gpg', 'GB29-NWBK', '20261231', { by: bank.privateKey, armored: false }),
      // No .sig at all (yet).
      deliverStatement('stmt_12345678_20261102.csv.gz.gpg', '12345678', '20261102'),
      // Signed, but not by the bank.
      deliverStatement('stmt_12345678_20261103.csv.gz.gpg', '12345678', '20261103', { by: impostor.privateKey, armored: true }),
      // Signed by the bank, but its trailer states 3 rows where it holds 2: cut short.
      deliverStatement('stmt_12345678_20261105.csv.gz.gpg', '12345678', '20261105', { by: bank.privateKey, armored: true }, 3),
      // Not a statement: never taken.
      writeFile(path.join(acmeDrop, 'README.txt'), 'notices go here'),
    ]);

    const deliverBundle = async (name: string, entries: Array<[string, Buffer | string]>) => {
      await writeFile(path.join(globexDrop, name), await encryptBytes(gzipSync(await tarOf(entries)), { passphrase }));
    };
    for (const week of ['W05', 'W07']) for (const employee of ['E1001', 'E1002', 'E9999']) slips.set(`${week}/${employee}`, payslipPdf(employee, week));
    // One payslip large enough to span many stream chunks on its way through.
    slips.set('W05/E1002', payslipPdf('E1002', 'W05', 384 * 1024));
    await Promise.all([
      // Two listed payslips (one with its sha256), and an unlisted one riding along.
      deliverBundle('payroll_2026W05.tar.gz.pgp', [
        ['manifest.xml', manifestOf('2026-W05', ['payslips/E1001.pdf', ['payslips/E1002.pdf', slips.get('W05/E1002')!]])],
        ['payslips/E1001.pdf', slips.get('W05/E1001')!],
        ['payslips/E9999.pdf', slips.get('W05/E9999')!],
        ['payslips/E1002.pdf', slips.get('W05/E1002')!],
      ]),
      // A listed payslip is missing from the bundle (the manifest comes last).
      deliverBundle('payroll_2026W07.tar.gz.pgp', [
        ['payslips/E1001.pdf', slips.get('W07/E1001')!],
        ['payslips/E9999.pdf', slips.get('W07/E9999')!],
        ['manifest.xml', manifestOf('2026-W07', ['payslips/E1001.pdf', 'payslips/E1002.pdf'])],
      ]),
    ]);

    await Promise.all([createBucket(reader, ACME_BUCKET), createBucket(reader, GLOBEX_BUCKET)]);
    const source = (drop: string) => ({
      url: `sftp://${sshd.user}@127.0.0.1:${sshd.port}${drop}`,
      hostKey: sshd.hostKeyFingerprint,
      privateKey: `file:${sshd.userKeyFile}`,
      connectTimeoutMs: 10_000,
      readTimeoutMs: 10_000,
    });
    const config: OctoConfigInput = {
      store: { url: 's3://', endpoint: stack.moto.endpoint, forcePathStyle: true, region: 'us-east-1' },
      workDir: path.join(dir, 'work'),
      concurrency: 2,
      providers: {
        'acme-bank': {
          plugin: 'acme-bank',
          source: source(acmeDrop),
          bucket: ACME_BUCKET,
          include: ['**/stmt_*.csv.gz.gpg'],
          decryption: {
            privateKeys: [{ key: `file:${path.join(secrets, 'octo-private.asc')}` }],
            signature: 'required',
            verificationKeys: [`file:${path.join(secrets, 'acme-bank-signing.asc')}`],
          },
        },
        'globex-payroll': {
          plugin: 'globex-payroll',
          source: source(globexDrop),
          bucket: GLOBEX_BUCKET,
          include: ['**/payroll_*.tar.gz.pgp'],
          decryption: { passphrase: `file:${path.join(secrets, 'globex-passphrase.txt')}`, signature: 'ignore' },
          settings: { manifest: 'manifest.xml', landManifest: false },
        },
      },
    };
    configPath = await writeOctoConfig(dir, config);
  });

  afterAll(() => stack?.stop());

  describe('acme-bank', () => {
    const good = {
      'stmt_12345678_20261101.csv.gz.gpg': 'data/csv/12345678/2026/11/stmt_12345678_20261101.csv',
      'out/stmt_GB29-NWBK_20261231.csv.gz.gpg': 'data/csv/GB29-NWBK/2026/12/stmt_GB29-NWBK_20261231.csv',
    } as const;
    const unsigned = 'stmt_12345678_20261102.csv.gz.gpg';
    const forged = 'stmt_12345678_20261103.csv.gz.gpg';
    const short = 'stmt_12345678_20261105.csv.gz.gpg';
    let first: OctoCliRun;
    let summary: JobSummary;

    beforeAll(async () => {
      first = await sync('acme-bank');
      summary = first.summaries[0]!;
    });

    it('should exit 1 with a partial job over the five statements (the README is not one)', () => {
      expect(first.code, told(first)).toBe(1);
      expect(first.summaries, told(first)).toHaveLength(1);
      expect(summary).toMatchObject({ provider: 'acme-bank', status: 'partial', dryRun: false, total: 5, succeeded: 2, failed: 3 });
      expect(summary.files.map((file) => [file.path, file.status]).sort()).toEqual(
        [
          ['out/stmt_GB29-NWBK_20261231.csv.gz.gpg', 'done'],
          ['stmt_12345678_20261101.csv.gz.gpg', 'done'],
          [unsigned, 'failed'],
          [forged, 'failed'],
          [short, 'failed'],
        ].sort(),
      );
    });

    it('should land the two well-signed statements decrypted and gunzipped, byte for byte, at <account>/<YYYY>/<MM>', async () => {
      for (const [source, key] of Object.entries(good)) {
        expect(outputKeys(fileResult(summary, source)), source).toEqual([key]);
        const landed = await readObject(reader, ACME_BUCKET, key);
        expect(landed.equals(statements.get(source)!), key).toBe(true);
      }
      const keys = await listKeys(reader, ACME_BUCKET);
      expect(keys.filter((key) => !key.startsWith('_octo/'))).toEqual(Object.values(good).sort());
      // One ledger record per landed statement, none for the refused ones.
      const records = await ledgerRecords(ACME_BUCKET, 'acme-bank');
      expect(records.map((record) => [record.path, record.sha256, record.outputs.map((output) => output.key)])).toEqual(
        Object.entries(good)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([source, key]) => [source, sha256(delivered.get(source)!), [key]]),
      );
      expect(keys.filter((key) => key.startsWith(LEDGER))).toHaveLength(2);
    });

    it('should refuse the statement without a .sig with kind signature, saying what to ask the bank for', () => {
      const failed = fileResult(summary, unsigned);
      expect(failed).toMatchObject({ status: 'failed', kind: 'signature' });
      expect(reasonOf(failed)).toBe(
        `${unsigned} has no detached signature (${unsigned}.sig) and provider acme-bank requires one: ask the provider to send it`,
      );
      expect(failedEvents(first).find((event) => event.path === unsigned)).toMatchObject({ kind: 'signature', reason: reasonOf(failed) });
    });

    it('should refuse the statement signed by another key with kind signature', () => {
      const failed = fileResult(summary, forged);
      expect(failed).toMatchObject({ status: 'failed', kind: 'signature' });
      expect(reasonOf(failed)).toMatch(
        new RegExp(`^${escape(forged)}: detached signature ${escape(forged)}\\.sig was made by key [0-9A-F]{16}, which is not one of the decryption\\.verificationKeys of provider acme-bank \\([0-9A-F]{16}\\): .+; the file was not ingested$`),
      );
      expect(failedEvents(first).find((event) => event.path === forged)).toMatchObject({ kind: 'signature', reason: reasonOf(failed) });
    });

    it('should refuse the well-signed statement whose trailer states a row count it does not hold, naming the line and column', () => {
      const failed = fileResult(summary, short);
      expect(failed).toMatchObject({ status: 'failed', kind: 'validate' });
      expect(reasonOf(failed)).toBe(
        `${short}: stmt_12345678_20261105.csv line 4, column 9: the trailer states 3 rows, but the entry has 2 (a truncated or padded file); nothing from the file was landed: ask the partner for a corrected file`,
      );
      expect(failedEvents(first).find((event) => event.path === short)).toMatchObject({ kind: 'validate', reason: reasonOf(failed) });
    });

    it("should report each landed statement's stages, their bytes adding up from the drop to the bucket", () => {
      const landed = fileResult(summary, 'stmt_12345678_20261101.csv.gz.gpg');
      expect(landed?.status).toBe('done');
      const stages = landed?.stages ?? {};
      expect(Object.keys(stages)).toEqual(['read', 'decrypt', 'unpack', 'transform', 'store', 'commit']);
      const csv = statements.get('stmt_12345678_20261101.csv.gz.gpg')!.length;
      expect(stages.read?.bytes).toBe(delivered.get('stmt_12345678_20261101.csv.gz.gpg')!.length);
      expect([stages.unpack?.bytes, stages.transform?.bytes, stages.store?.bytes, stages.commit?.bytes]).toEqual([csv, csv, csv, csv]);
      // The decrypted bytes are the gzip the bank encrypted: more than nothing, and not the CSV.
      expect(stages.decrypt?.bytes).toBeGreaterThan(0);
      for (const [stage, timing] of Object.entries(stages)) expect(timing.ms, stage).toBeLessThanOrEqual((landed?.durationMs ?? 0) + 1);
    });

    it('should land nothing of the refused statements and leave no multipart upload open', async () => {
      const keys = await listKeys(reader, ACME_BUCKET);
      expect(keys.filter((key) => !key.startsWith(LEDGER) && (key.includes('20261102') || key.includes('20261103') || key.includes('20261105')))).toEqual([]);
      expect(await openUploads(reader, ACME_BUCKET)).toEqual([]);
    });

    it('should land exactly the statement whose .sig arrived when it runs again', async () => {
      // The bank uploads the missing signature over SFTP; the forged one is still forged.
      await writeFile(path.join(acmeDrop, `${unsigned}.sig`), await signDetached(await readFile(path.join(acmeDrop, unsigned)), bank.privateKey, { armored: true }));
      const again = await sync('acme-bank');
      expect(again.code, told(again)).toBe(1);
      const rerun = again.summaries[0];
      expect(rerun).toMatchObject({ status: 'partial', total: 3, succeeded: 1, failed: 2 });
      expect(rerun?.files.filter((file) => file.status === 'done').map((file) => file.path)).toEqual([unsigned]);
      expect(fileResult(rerun, forged)).toMatchObject({ status: 'failed', kind: 'signature' });

      const newKey = 'data/csv/12345678/2026/11/stmt_12345678_20261102.csv';
      expect(outputKeys(fileResult(rerun, unsigned))).toEqual([newKey]);
      expect((await readObject(reader, ACME_BUCKET, newKey)).equals(statements.get(unsigned)!)).toBe(true);
      const keys = await listKeys(reader, ACME_BUCKET);
      expect(keys.filter((key) => !key.startsWith('_octo/'))).toEqual([...Object.values(good), newKey].sort());
      expect(keys.filter((key) => key.startsWith(LEDGER))).toHaveLength(3);
      expect(await openUploads(reader, ACME_BUCKET)).toEqual([]);
    });
  });

  describe('globex-payroll', () => {
    const listed = {
      'data/pdf/2026-W05/payslips/E1001.pdf': 'W05/E1001',
      'data/pdf/2026-W05/payslips/E1002.pdf': 'W05/E1002',
    } as const;
    const complete = 'payroll_2026W05.tar.gz.pgp';
    const incomplete = 'payroll_2026W07.tar.gz.pgp';
    let run: OctoCliRun;
    let summary: JobSummary;

    beforeAll(async () => {
      run = await sync('globex-payroll');
      summary = run.summaries[0]!;
    });

    it('should exit 1 with a partial job over the two bundles', () => {
      expect(run.code, told(run)).toBe(1);
      expect(run.summaries, told(run)).toHaveLength(1);
      expect(summary).toMatchObject({ provider: 'globex-payroll', status: 'partial', total: 2, succeeded: 1, failed: 1 });
    });

    it('should land exactly the two payslips the manifest lists, byte for byte, under <YYYY>-W<ww>', async () => {
      expect(outputKeys(fileResult(summary, complete))).toEqual(Object.keys(listed));
      for (const [key, slip] of Object.entries(listed)) {
        const landed = await readObject(reader, GLOBEX_BUCKET, key);
        expect(landed.equals(slips.get(slip)!), key).toBe(true);
      }
      const keys = await listKeys(reader, GLOBEX_BUCKET);
      // Neither the unlisted payslip nor the manifest lands; one ledger record, for the good bundle.
      expect(keys.filter((key) => !key.startsWith('_octo/'))).toEqual(Object.keys(listed));
      // The CLI says on stderr what it dropped.
      expect(run.stderr).toMatch(/WARN: dropped bundle entries the manifest does not list .*"path":"payroll_2026W05\.tar\.gz\.pgp","dropped":\["payslips\/E9999\.pdf"\]/);
      expect((await ledgerRecords(GLOBEX_BUCKET, 'globex-payroll')).map((record) => [record.path, record.outputs.map((output) => output.key).sort()])).toEqual([
        [complete, Object.keys(listed)],
      ]);
    });

    it('should fail the bundle missing a listed payslip with its reason, landing nothing from it', async () => {
      const failed = fileResult(summary, incomplete);
      const reason = `${incomplete}: manifest.xml lists 1 file missing from the bundle (payslips/E1002.pdf); nothing from it was landed, ask Globex to resend the week`;
      expect(failed).toMatchObject({ status: 'failed', kind: 'filter', reason });
      expect(failedEvents(run).map((event) => [event.path, event.kind, event.reason])).toEqual([[incomplete, 'filter', reason]]);
      const keys = await listKeys(reader, GLOBEX_BUCKET);
      expect(keys.filter((key) => !key.startsWith(LEDGER) && (key.includes('W07') || key.includes('E9999')))).toEqual([]);
    });

    it('should leave no multipart upload open (the staged unlisted and incomplete entries were aborted)', async () => {
      expect(await openUploads(reader, GLOBEX_BUCKET)).toEqual([]);
    });
  });
});
