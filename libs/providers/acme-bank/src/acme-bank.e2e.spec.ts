import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createOctoRuntime, type JobSummary, type LoadedConfig } from '@octo/core';
import { encryptBytes, generateTestKey, listFiles, signDetached, parseConfig } from '@octo/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeBankProvider } from './index.js';

// End to end on the embedded default: a local folder drop, a local folder bucket, the real
// OpenPGP decryptor and the plugin from this library. Keys are made here, never committed.

type KeyPair = Awaited<ReturnType<typeof generateTestKey>>;

// A statement as the bank writes it: the header, the rows, and a trailer that states their count.
const csv = (account: string, date: string, statedRows = 2) =>
  Buffer.from(`account,date,amount,currency\n${account},${date},1250.00,EUR\n${account},${date},-75.10,EUR\nTRAILER,${statedRows}\n`);

describe('acme-bank on the embedded default', () => {
  let dir: string;
  let drop: string;
  let bucket: string;
  let ours: KeyPair;
  let bank: KeyPair;
  let impostor: KeyPair;
  const statements = new Map<string, Buffer>();

  const sync = async (signature = 'required'): Promise<JobSummary> => {
    const file = path.join(dir, 'octo.config.yaml');
    const text = [
      'store: file://buckets',
      'workDir: work',
      'providers:',
      '  acme-bank:',
      '    source: file://drop',
      '    bucket: acme-bank-bucket',
      '    decryption:',
      '      privateKeys:',
      '        - key: file:keys/octo-private.asc',
      `      signature: ${signature}`,
      '      verificationKeys: [file:keys/acme-bank-signing.asc]',
    ].join('\n');
    const loaded: LoadedConfig = { config: parseConfig(text, file), file, baseDir: dir };
    const runtime = await createOctoRuntime({ loaded, plugins: [acmeBankProvider] });
    const job = await runtime.jobs.start('acme-bank');
    return job.done;
  };

  const deliver = async (name: string, plaintext: Buffer, sig?: { by: KeyPair; over?: Buffer; armored?: boolean }) => {
    // Gzipped, then encrypted to our key; the detached signature is over the bytes as delivered.
    const delivered = await encryptBytes(gzipSync(plaintext), { publicKey: ours.publicKey });
    await writeFile(path.join(drop, name), delivered);
    if (sig) await writeFile(path.join(drop, `${name}.sig`), await signDetached(sig.over ?? delivered, sig.by.privateKey, { armored: sig.armored ?? true }));
    return delivered;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-acme-bank-e2e-'));
    drop = path.join(dir, 'drop');
    bucket = path.join(dir, 'buckets', 'acme-bank-bucket');
    await mkdir(path.join(drop, 'out'), { recursive: true });
    await mkdir(path.join(dir, 'keys'));
    [ours, bank, impostor] = await Promise.all([generateTestKey('Octo Ingest'), generateTestKey('Acme Bank Signing'), generateTestKey('Someone Else')]);
    await writeFile(path.join(dir, 'keys', 'octo-private.asc'), ours.privateKey);
    await writeFile(path.join(dir, 'keys', 'acme-bank-signing.asc'), bank.publicKey);

    for (const [account, date] of [['12345678', '20261101'], ['GB29-NWBK', '20261231'], ['12345678', '20261102'], ['12345678', '20261103'], ['12345678', '20261104']] as const) {
      statements.set(`stmt_${account}_${date}.csv`, csv(account, date));
    }
    // Signed by the bank: armored and binary signatures both count.
    const first = await deliver('stmt_12345678_20261101.csv.gz.gpg', statements.get('stmt_12345678_20261101.csv')!, { by: bank, armored: true });
    await deliver('out/stmt_GB29-NWBK_20261231.csv.gz.gpg', statements.get('stmt_GB29-NWBK_20261231.csv')!, { by: bank, armored: false });
    // No .sig at all.
    await deliver('stmt_12345678_20261102.csv.gz.gpg', statements.get('stmt_12345678_20261102.csv')!);
    // Signed, but not by the bank.
    await deliver('stmt_12345678_20261103.csv.gz.gpg', statements.get('stmt_12345678_20261103.csv')!, { by: impostor });
    // The bank's signature, but over other bytes (a .sig copied from another statement).
    await deliver('stmt_12345678_20261104.csv.gz.gpg', statements.get('stmt_12345678_20261104.csv')!, { by: bank, over: first });
    // Signed by the bank, but cut short: the trailer states 3 rows where there are 2.
    await deliver('stmt_12345678_20261106.csv.gz.gpg', csv('12345678', '20261106', 3), { by: bank });
    // Not statements: left in the drop, never listed as work.
    await writeFile(path.join(drop, 'README.txt'), 'notices go here');
    await deliver('stmt_12345678_20261131.csv.gz.gpg', csv('12345678', '20261131'), { by: bank });
    await deliver('statement_12345678_20261101.csv.gz.gpg', csv('12345678', '20261101'), { by: bank });
    await deliver('stmt_12345678_20261105.csv.gz.gpg.part', csv('12345678', '20261105'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when the drop holds good, unsigned, forged and mismatched statements', () => {
    let summary: JobSummary;

    beforeAll(async () => {
      summary = await sync();
    });

    it('should take the six statement names and nothing else', () => {
      expect(summary.total).toBe(6);
      expect(summary.files.map((file) => file.path)).toEqual([
        'out/stmt_GB29-NWBK_20261231.csv.gz.gpg',
        'stmt_12345678_20261101.csv.gz.gpg',
        'stmt_12345678_20261102.csv.gz.gpg',
        'stmt_12345678_20261103.csv.gz.gpg',
        'stmt_12345678_20261104.csv.gz.gpg',
        'stmt_12345678_20261106.csv.gz.gpg',
      ]);
    });

    it('should land the signed statements decrypted and gunzipped under <account>/<YYYY>/<MM>', async () => {
      expect(summary.status).toBe('partial');
      expect(summary.succeeded).toBe(2);
      const data = (await listFiles(bucket)).filter((key) => key.startsWith('data/'));
      expect(data).toEqual(['data/csv/12345678/2026/11/stmt_12345678_20261101.csv', 'data/csv/GB29-NWBK/2026/12/stmt_GB29-NWBK_20261231.csv']);
      expect(await readFile(path.join(bucket, data[0]!))).toEqual(statements.get('stmt_12345678_20261101.csv'));
      expect(await readFile(path.join(bucket, data[1]!))).toEqual(statements.get('stmt_GB29-NWBK_20261231.csv'));
    });

    it('should refuse a statement without its .sig, saying what to ask the bank for', () => {
      const failed = summary.files.find((file) => file.path === 'stmt_12345678_20261102.csv.gz.gpg');
      expect(failed).toMatchObject({ status: 'failed', kind: 'signature' });
      expect(failed && 'reason' in failed ? failed.reason : '').toBe(
        'stmt_12345678_20261102.csv.gz.gpg has no detached signature (stmt_12345678_20261102.csv.gz.gpg.sig) and provider acme-bank requires one: ask the provider to send it',
      );
    });

    it('should refuse a statement signed by another key, and one whose signature covers other bytes', () => {
      const why = {
        'stmt_12345678_20261103.csv.gz.gpg': /was made by key [0-9A-F]{16}, which is not one of the decryption\.verificationKeys of provider acme-bank \([0-9A-F]{16}\)/,
        'stmt_12345678_20261104.csv.gz.gpg': /does not match the bytes delivered: the file was changed after it was signed, or the signature belongs to another file/,
      };
      for (const [name, reason] of Object.entries(why)) {
        const failed = summary.files.find((file) => file.path === name);
        expect(failed, name).toMatchObject({ status: 'failed', kind: 'signature' });
        const text = failed && 'reason' in failed ? failed.reason : '';
        expect(text).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: detached signature ${name.replace(/\./g, '\\.')}\\.sig .+; the file was not ingested$`));
        expect(text).toMatch(reason);
      }
      expect(summary.failed).toBe(4);
    });

    it('should refuse a well-signed statement whose trailer states more rows than it holds, naming the line and column', () => {
      const failed = summary.files.find((file) => file.path === 'stmt_12345678_20261106.csv.gz.gpg');
      expect(failed).toMatchObject({ status: 'failed', kind: 'validate' });
      expect(failed && 'reason' in failed ? failed.reason : '').toBe(
        'stmt_12345678_20261106.csv.gz.gpg: stmt_12345678_20261106.csv line 4, column 9: the trailer states 3 rows, but the entry has 2 (a truncated or padded file); nothing from the file was landed: ask the partner for a corrected file',
      );
    });

    it('should leave nothing staged from the refused statements', async () => {
      const all = await listFiles(bucket);
      expect(all.filter((key) => key.includes('2026110') && !key.includes('20261101'))).toEqual([]);
      expect(all.filter((key) => key.startsWith('_octo/ledger/'))).toHaveLength(2);
      expect(all.filter((key) => key.startsWith('.octo-staging/') && !key.endsWith('/'))).toEqual([]);
    });
  });

  describe('when it runs again after the bank sends the missing signature', () => {
    it('should retry only the refused statements and land the one now signed', async () => {
      const name = 'stmt_12345678_20261102.csv.gz.gpg';
      await writeFile(path.join(drop, `${name}.sig`), await signDetached(await readFile(path.join(drop, name)), bank.privateKey, { armored: true }));
      const again = await sync();
      expect(again.total).toBe(4);
      expect(again.succeeded).toBe(1);
      expect(again.files.filter((file) => file.status === 'done').map((file) => file.path)).toEqual([name]);
      expect(await readFile(path.join(bucket, 'data/csv/12345678/2026/11/stmt_12345678_20261102.csv'))).toEqual(statements.get('stmt_12345678_20261102.csv'));
    });
  });

  describe('when the config would let an unsigned statement through', () => {
    it('should refuse to start the job', async () => {
      await expect(sync('if-present')).rejects.toThrow('providers.acme-bank.decryption.signature: must be "required" (it is "if-present")');
    });
  });
});
