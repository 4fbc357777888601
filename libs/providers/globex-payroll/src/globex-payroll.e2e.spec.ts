import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createOctoRuntime, type JobSummary, type LoadedConfig } from '@octo/core';
import { encryptBytes, listFiles, sha256, tarOf, parseConfig } from '@octo/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globexPayrollProvider } from './index.js';

// End to end on the embedded default: a local folder drop, local folder buckets, the real
// OpenPGP decryptor and unpacker, and the plugin from this library. The passphrase is made here.

const payslip = (employee: string, week: string) => Buffer.from(`%PDF-1.7\n% payslip ${employee} ${week}\n${randomBytes(2048).toString('base64')}\n%%EOF\n`);

/** A manifest listing `files`; a file given with its bytes gets a sha256 attribute too. */
const manifestOf = (period: string | undefined, files: Array<string | [string, Buffer]>) =>
  [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<manifest${period ? ` period="${period}"` : ''} employer="Globex Corporation">`,
    ...files.map((item) => {
      const [file, bytes] = typeof item === 'string' ? [item, undefined] : item;
      return `  <payslip employee="${path.basename(file, '.pdf')}" file="${file}"${bytes ? ` sha256="${sha256(bytes)}"` : ''}/>`;
    }),
    '</manifest>',
    '',
  ].join('\n');

describe('globex-payroll on the embedded default', () => {
  let dir: string;
  let passphrase: string;
  const slips = new Map<string, Buffer>();
  const bucketOf = (name: string) => path.join(dir, 'buckets', name);
  let manifestW06: string;

  const sync = async (provider: string): Promise<JobSummary> => {
    const file = path.join(dir, 'octo.config.yaml');
    const text = [
      'store: file://buckets',
      'workDir: work',
      'providers:',
      '  globex-payroll:',
      '    source: file://drop',
      '    bucket: globex-payroll',
      '    decryption: { passphrase: "file:keys/globex-passphrase.txt" }',
      // The same plugin under another provider name, with its own settings and bucket.
      '  globex-archive:',
      '    plugin: globex-payroll',
      '    source: file://drop',
      '    bucket: globex-archive',
      '    decryption: { passphrase: "file:keys/globex-passphrase.txt" }',
      '    settings: { landManifest: true }',
    ].join('\n');
    const loaded: LoadedConfig = { config: parseConfig(text, file), file, baseDir: dir };
    const runtime = await createOctoRuntime({ loaded, plugins: [globexPayrollProvider] });
    return (await runtime.jobs.start(provider)).done;
  };

  const deliver = async (name: string, entries: Array<[string, Buffer | string]>) => {
    await writeFile(path.join(dir, 'drop', name), await encryptBytes(gzipSync(await tarOf(entries)), { passphrase }));
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'octo-globex-payroll-e2e-'));
    await mkdir(path.join(dir, 'drop'), { recursive: true });
    await mkdir(path.join(dir, 'keys'));
    passphrase = randomBytes(18).toString('base64url');
    await writeFile(path.join(dir, 'keys', 'globex-passphrase.txt'), passphrase);
    for (const week of ['W05', 'W06', 'W07', 'W08', 'W10']) for (const employee of ['E1001', 'E1002', 'E9999']) slips.set(`${week}/${employee}`, payslip(employee, week));
    manifestW06 = manifestOf('2026-W06', [['payslips/E1001.pdf', slips.get('W06/E1001')!], ['payslips/E1002.pdf', slips.get('W06/E1002')!]]);

    // Manifest first; an unlisted payslip and a stray note ride along.
    await deliver('payroll_2026W05.tar.gz.pgp', [
      ['manifest.xml', manifestOf('2026-W05', ['payslips/E1001.pdf', 'payslips/E1002.pdf'])],
      ['payslips/E1001.pdf', slips.get('W05/E1001')!],
      ['notes.txt', 'run by payroll bot'],
      ['payslips/E1002.pdf', slips.get('W05/E1002')!],
      ['payslips/E9999.pdf', slips.get('W05/E9999')!],
    ]);
    // Manifest last, stating each payslip's sha256.
    await deliver('payroll_2026W06.tar.gz.pgp', [
      ['payslips/E1001.pdf', slips.get('W06/E1001')!],
      ['payslips/E1002.pdf', slips.get('W06/E1002')!],
      ['manifest.xml', manifestW06],
    ]);
    // A listed payslip is missing from the bundle.
    await deliver('payroll_2026W07.tar.gz.pgp', [
      ['payslips/E1001.pdf', slips.get('W07/E1001')!],
      ['manifest.xml', manifestOf('2026-W07', ['payslips/E1001.pdf', 'payslips/E1002.pdf'])],
      ['payslips/E9999.pdf', slips.get('W07/E9999')!],
    ]);
    // No manifest at all.
    await deliver('payroll_2026W08.tar.gz.pgp', [['payslips/E1001.pdf', slips.get('W08/E1001')!]]);
    // A payslip that is not the one whose sha256 the manifest states.
    await deliver('payroll_2026W10.tar.gz.pgp', [
      ['manifest.xml', manifestOf('2026-W10', [['payslips/E1001.pdf', slips.get('W10/E1001')!], ['payslips/E1002.pdf', slips.get('W10/E1002')!]])],
      ['payslips/E1001.pdf', slips.get('W10/E1001')!],
      ['payslips/E1002.pdf', slips.get('W10/E9999')!],
    ]);
    // A manifest that is not XML.
    await deliver('payroll_2026W09.tar.gz.pgp', [['manifest.xml', '<manifest><payslip file="a.pdf"></manifest>'], ['a.pdf', '%PDF']]);
    // Not bundles: never taken.
    await deliver('payroll_2026W54.tar.gz.pgp', [['manifest.xml', manifestOf(undefined, ['a.pdf'])], ['a.pdf', '%PDF']]);
    await deliver('payroll_2026-W10.tar.gz.pgp', [['manifest.xml', manifestOf(undefined, ['a.pdf'])], ['a.pdf', '%PDF']]);
    await writeFile(path.join(dir, 'drop', 'README.txt'), 'weekly payroll');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('when the drop holds good and bad weekly bundles', () => {
    let summary: JobSummary;

    beforeAll(async () => {
      summary = await sync('globex-payroll');
    });

    it('should take the six bundle names and nothing else', () => {
      expect(summary.total).toBe(6);
      expect(summary.files.map((file) => [file.path, file.status])).toEqual([
        ['payroll_2026W05.tar.gz.pgp', 'done'],
        ['payroll_2026W06.tar.gz.pgp', 'done'],
        ['payroll_2026W07.tar.gz.pgp', 'failed'],
        ['payroll_2026W08.tar.gz.pgp', 'failed'],
        ['payroll_2026W09.tar.gz.pgp', 'failed'],
        ['payroll_2026W10.tar.gz.pgp', 'failed'],
      ]);
    });

    it('should land exactly the listed payslips under <YYYY>-W<ww>, byte for byte, whichever side of them the manifest was', async () => {
      const landed = (await listFiles(bucketOf('globex-payroll'))).filter((key) => key.startsWith('data/'));
      expect(landed).toEqual([
        'data/pdf/2026-W05/payslips/E1001.pdf',
        'data/pdf/2026-W05/payslips/E1002.pdf',
        'data/pdf/2026-W06/payslips/E1001.pdf',
        'data/pdf/2026-W06/payslips/E1002.pdf',
      ]);
      for (const key of landed) {
        const [, , week, , slip] = key.split('/');
        expect(await readFile(path.join(bucketOf('globex-payroll'), key)), key).toEqual(slips.get(`${week!.slice(5)}/${slip!.replace('.pdf', '')}`));
      }
      const done = summary.files.find((file) => file.path === 'payroll_2026W05.tar.gz.pgp');
      expect(done && 'outputs' in done ? done.outputs.map((output) => output.key) : []).toEqual([
        'data/pdf/2026-W05/payslips/E1001.pdf',
        'data/pdf/2026-W05/payslips/E1002.pdf',
      ]);
    });

    it('should fail a bundle missing a listed payslip, naming it, and land nothing from it', async () => {
      const failed = summary.files.find((file) => file.path === 'payroll_2026W07.tar.gz.pgp');
      expect(failed).toMatchObject({
        status: 'failed',
        kind: 'filter',
        reason: 'payroll_2026W07.tar.gz.pgp: manifest.xml lists 1 file missing from the bundle (payslips/E1002.pdf); nothing from it was landed, ask Globex to resend the week',
      });
      const all = await listFiles(bucketOf('globex-payroll'));
      expect(all.filter((key) => /W(0[789]|10)/.test(key) && !key.includes('ledger'))).toEqual([]);
    });

    it('should fail a bundle holding a payslip unlike the sha256 its manifest states', () => {
      const failed = summary.files.find((file) => file.path === 'payroll_2026W10.tar.gz.pgp');
      expect(failed).toMatchObject({ status: 'failed', kind: 'filter' });
      expect(failed && 'reason' in failed ? failed.reason : '').toBe(
        `payroll_2026W10.tar.gz.pgp: payslips/E1002.pdf does not match its sha256 in manifest.xml (listed ${sha256(slips.get('W10/E1002')!).slice(0, 12)}..., bundle holds ${sha256(slips.get('W10/E9999')!).slice(0, 12)}...); nothing from it was landed, ask Globex to resend the week`,
      );
    });

    it('should fail a bundle without a manifest and one whose manifest is not XML', () => {
      expect(summary.files.find((file) => file.path === 'payroll_2026W08.tar.gz.pgp')).toMatchObject({
        kind: 'filter',
        reason: 'payroll_2026W08.tar.gz.pgp has no manifest.xml at its root, so which payslips to land is unknown; nothing from it was landed',
      });
      const bad = summary.files.find((file) => file.path === 'payroll_2026W09.tar.gz.pgp');
      expect(bad).toMatchObject({ kind: 'filter' });
      expect(bad && 'reason' in bad ? bad.reason : '').toMatch(/^payroll_2026W09\.tar\.gz\.pgp: manifest\.xml is not well-formed XML \(line 1: .+\)/);
    });

    it('should leave no dropped entry and no staged object behind', async () => {
      const all = await listFiles(bucketOf('globex-payroll'));
      expect(all.filter((key) => key.includes('notes') || key.includes('E9999') || key.includes('manifest'))).toEqual([]);
      expect(all.filter((key) => key.startsWith('.octo-staging/'))).toEqual([]);
    });

    it('should retry only the failed bundles on the next run', async () => {
      const again = await sync('globex-payroll');
      expect(again.files.map((file) => file.path)).toEqual([
        'payroll_2026W07.tar.gz.pgp',
        'payroll_2026W08.tar.gz.pgp',
        'payroll_2026W09.tar.gz.pgp',
        'payroll_2026W10.tar.gz.pgp',
      ]);
      expect(again.failed).toBe(4);
    });
  });

  describe('when a provider on the same plugin sets landManifest', () => {
    it('should land each good week\'s manifest beside its payslips', async () => {
      const summary = await sync('globex-archive');
      expect(summary.succeeded).toBe(2);
      const landed = (await listFiles(bucketOf('globex-archive'))).filter((key) => key.startsWith('data/'));
      expect(landed).toEqual([
        'data/pdf/2026-W05/payslips/E1001.pdf',
        'data/pdf/2026-W05/payslips/E1002.pdf',
        'data/pdf/2026-W06/payslips/E1001.pdf',
        'data/pdf/2026-W06/payslips/E1002.pdf',
        'data/xml/2026-W05/manifest.xml',
        'data/xml/2026-W06/manifest.xml',
      ]);
      expect(await readFile(path.join(bucketOf('globex-archive'), 'data/xml/2026-W06/manifest.xml'), 'utf8')).toBe(manifestW06);
    });
  });
});
